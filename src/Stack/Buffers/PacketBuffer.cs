using System.Buffers;

namespace Netstack.Buffers;

/// <summary>A pooled byte buffer with headroom, so each layer prepends its header in place instead of
/// copying the payload (like an skb/mbuf). Owned by exactly one party at a time: whoever is handed a
/// PacketBuffer either passes it on or returns it to its pool.</summary>
public sealed class PacketBuffer
{
    /// <summary>Room for Ethernet (14) + IPv4 with options (60) + TCP with options (60), rounded up.</summary>
    public const int DefaultHeadroom = 160;

    private byte[] _array = [];
    internal PacketBufferPool? Pool;

    /// <summary>Offset in <see cref="Array"/> of the first data byte; also the headroom left for
    /// <see cref="Prepend"/>.</summary>
    public int Start { get; private set; }
    /// <summary>Offset in <see cref="Array"/> just past the last data byte.</summary>
    public int End { get; private set; }
    /// <summary>Data length in bytes.</summary>
    public int Length => End - Start;
    /// <summary>Size in bytes of the backing array (headroom, data and tailroom).</summary>
    public int Capacity => _array.Length;
    /// <summary>The backing array; pooled, so it must not be used after <see cref="Dispose"/>.</summary>
    public byte[] Array => _array;

    /// <summary>The data bytes, [<see cref="Start"/>, <see cref="End"/>).</summary>
    public Span<byte> Span => _array.AsSpan(Start, End - Start);
    /// <summary>The data bytes as <see cref="Memory{T}"/>, for APIs that need it; same lifetime rule as
    /// <see cref="Array"/>.</summary>
    public Memory<byte> Memory => _array.AsMemory(Start, End - Start);

    internal void Attach(byte[] array, int headroom)
    {
        _array = array;
        Start = End = headroom;
    }

    /// <summary>Empties a buffer that keeps its array, leaving <paramref name="headroom"/> bytes in front (the array
    /// reference is not stored again: a write barrier on every rent).</summary>
    internal void Restart(int headroom) => Start = End = headroom;

    internal byte[] Detach()
    {
        var a = _array;
        _array = [];
        return a;
    }

    /// <summary>Grows the data at the front by <paramref name="count"/> bytes and returns them.</summary>
    public Span<byte> Prepend(int count)
    {
        if (count > Start) throw new InvalidOperationException($"no headroom for {count} bytes (have {Start})");
        Start -= count;
        return _array.AsSpan(Start, count);
    }

    /// <summary>Grows the data at the end by <paramref name="count"/> bytes and returns them.</summary>
    public Span<byte> Append(int count)
    {
        if (End + count > _array.Length) throw new InvalidOperationException($"no tailroom for {count} bytes");
        var s = _array.AsSpan(End, count);
        End += count;
        return s;
    }

    /// <summary>Copies <paramref name="data"/> to the end of the data.</summary>
    /// <exception cref="InvalidOperationException">The buffer has less than <c>data.Length</c> bytes of
    /// tailroom.</exception>
    public void Append(ReadOnlySpan<byte> data) => data.CopyTo(Append(data.Length));

    /// <summary>Drops <paramref name="count"/> bytes from the front.</summary>
    public void TrimStart(int count) => Start += count;

    /// <summary>Returns the buffer to its pool; the owner must not touch it afterwards. Calling it again is
    /// harmless.</summary>
    public void Dispose() => Pool?.Return(this);
}

/// <summary>Hands out PacketBuffers backed by pooled arrays; no allocation once warm.
/// Single-threaded like the stack that owns it.</summary>
public sealed class PacketBufferPool
{
    /// <summary>Every Ethernet frame plus headroom fits. Buffers this size keep their array while free, so
    /// the common case is a stack pop instead of an ArrayPool round trip (a thread-local lookup each way).</summary>
    public const int StandardArrayLength = 2048;

    private readonly Stack<PacketBuffer> _free = new();
    private readonly Stack<PacketBuffer> _freeStandard = new();
    private readonly ArrayPool<byte> _arrays = ArrayPool<byte>.Shared;

    /// <summary>Buffers rented and not yet returned; non-zero at rest means a leak.</summary>
    public int Outstanding { get; private set; }

    /// <summary>A buffer able to hold <paramref name="payload"/> bytes after <paramref name="headroom"/>.</summary>
    public PacketBuffer Rent(int payload, int headroom = PacketBuffer.DefaultHeadroom)
    {
        int size = headroom + Math.Max(payload, 64);
        PacketBuffer b;
        if (size <= StandardArrayLength && _freeStandard.Count > 0)
        {
            b = _freeStandard.Pop();
            b.Restart(headroom);
        }
        else
        {
            b = _free.Count > 0 ? _free.Pop() : new PacketBuffer();
            b.Attach(_arrays.Rent(Math.Max(size, StandardArrayLength)), headroom);
        }
        b.Pool = this;
        Outstanding++;
        return b;
    }

    /// <summary>Takes <paramref name="b"/> back for reuse (same as <see cref="PacketBuffer.Dispose"/>); a buffer
    /// already returned or from another pool is ignored.</summary>
    public void Return(PacketBuffer b)
    {
        if (b.Pool != this) return; // already returned: be idempotent rather than corrupt the pool
        b.Pool = null;
        if (b.Capacity == StandardArrayLength)
            _freeStandard.Push(b);
        else
        {
            _arrays.Return(b.Detach());
            _free.Push(b);
        }
        Outstanding--;
    }
}
