using System.Buffers;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>Bytes the application has written and the peer has not yet acknowledged, in a bounded ring
/// backed by a pooled array, rented when the application writes into an empty buffer and returned to the pool when
/// the peer has acknowledged every byte (a half-open or idle connection holds none). Offset 0 is the byte at SND.UNA.</summary>
public sealed class SendBuffer
{
    private byte[] _ring = [];
    private int _head;
    private bool _released;

    /// <summary>An empty buffer of <paramref name="capacity"/> bytes; no array is rented yet.</summary>
    public SendBuffer(int capacity) => Capacity = capacity;

    /// <summary>Most bytes the buffer holds (TcpSettings.SendBufferSize).</summary>
    public int Capacity { get; }

    /// <summary>Bytes of array this buffer holds: 0 while empty (and after release).</summary>
    public int MemoryHeld => _ring.Length;
    /// <summary>Bytes held: sent but unacknowledged, plus not yet sent.</summary>
    public int Count { get; private set; }
    /// <summary>Bytes the application can still write.</summary>
    public int Free => Capacity - Count;

    /// <summary>Appends as much of <paramref name="data"/> as fits; returns how much that was.</summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(data.Length, Free);
        if (n == 0) return 0;
        if (_ring.Length == 0)
        {
            ObjectDisposedException.ThrowIf(_released, this);
            _ring = ArrayPool<byte>.Shared.Rent(Capacity);
        }
        int tail = (_head + Count) % _ring.Length;
        int first = Math.Min(n, _ring.Length - tail);
        data[..first].CopyTo(_ring.AsSpan(tail));
        data[first..n].CopyTo(_ring);
        Count += n;
        return n;
    }

    /// <summary>Copies <paramref name="destination"/>.Length bytes starting <paramref name="offset"/> bytes after the head.</summary>
    public void CopyTo(int offset, Span<byte> destination)
    {
        int start = (_head + offset) % _ring.Length;
        int first = Math.Min(destination.Length, _ring.Length - start);
        _ring.AsSpan(start, first).CopyTo(destination);
        _ring.AsSpan(0, destination.Length - first).CopyTo(destination[first..]);
    }

    /// <summary><see cref="CopyTo"/> that also returns the bytes' partial Internet checksum (one pass).</summary>
    public ulong CopyToAndSum(int offset, Span<byte> destination)
    {
        int start = (_head + offset) % _ring.Length;
        int first = Math.Min(destination.Length, _ring.Length - start);
        if (first == destination.Length || (first & 1) != 0)
        {
            if (first == destination.Length)
                return Checksum.CopyAndAccumulate(0, _ring.AsSpan(start, first), destination);
            // Wrapped at an odd byte: the second piece's words straddle the seam; sum the copy instead.
            CopyTo(offset, destination);
            return Checksum.Accumulate(0, destination);
        }
        ulong sum = Checksum.CopyAndAccumulate(0, _ring.AsSpan(start, first), destination);
        return Checksum.CopyAndAccumulate(sum, _ring.AsSpan(0, destination.Length - first), destination[first..]);
    }

    /// <summary>Drops <paramref name="count"/> acknowledged bytes from the head.</summary>
    public void Consume(int count)
    {
        count = Math.Min(count, Count);
        if (count == 0) return;
        _head = (_head + count) % _ring.Length;
        Count -= count;
        if (Count == 0) ReturnRing(); // idle connections hold no buffer; the next write rents one again
    }

    private void ReturnRing()
    {
        ArrayPool<byte>.Shared.Return(_ring);
        _ring = [];
        _head = 0;
    }

    /// <summary>Returns the array to the pool; the buffer is empty and unusable afterwards.</summary>
    public void Release()
    {
        _released = true;
        if (_ring.Length == 0) return;
        ReturnRing();
        Count = 0;
    }
}
