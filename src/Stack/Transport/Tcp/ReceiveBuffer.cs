using System.Buffers;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>Received data waiting for the application, in a bounded ring backed by a pooled array, plus
/// out-of-order data held in place at its offset past RCV.NXT (so reassembly needs no extra copies) and
/// tracked as a bounded list of ranges. <see cref="Next"/> is RCV.NXT. The array is rented when a byte arrives
/// into an empty buffer and returned to the pool when the application has read everything and no out-of-order data
/// is held: a connection that never gets data (a half-open one in a SYN flood) or is idle holds none.</summary>
public sealed class ReceiveBuffer
{
    private byte[] _ring;
    private bool _released;
    private int _read;
    private readonly SequenceRangeSet _ranges;
    /// <summary>The range most recently added to or created, reported first in SACK (RFC 2018 §4).</summary>
    private SequenceNumber _recentLeft;

    /// <summary>A buffer of <paramref name="capacity"/> bytes holding at most <paramref name="maxRanges"/> out-of-order
    /// ranges; no array is rented yet.</summary>
    public ReceiveBuffer(int capacity, int maxRanges)
    {
        Capacity = capacity;
        _ring = [];
        _ranges = new SequenceRangeSet(maxRanges);
    }

    /// <summary>Bytes of received data held at most: in-order unread plus out-of-order.</summary>
    public int Capacity { get; private set; }

    /// <summary>Raises <see cref="Capacity"/> to <paramref name="capacity"/> (the window may then offer more); only
    /// while no array is held, so the next one is rented at the new size. Returns whether it grew.</summary>
    public bool TryGrow(int capacity)
    {
        if (_ring.Length != 0 || _released || capacity <= Capacity) return false;
        Capacity = capacity;
        return true;
    }

    /// <summary>Bytes of array this buffer holds: 0 while empty (and after release).</summary>
    public int MemoryHeld => _ring.Length;
    /// <summary>In-order bytes the application can read.</summary>
    public int Readable { get; private set; }
    /// <summary>Room past RCV.NXT: the most the window may offer.</summary>
    public int Free => Capacity - Readable;
    /// <summary>RCV.NXT: the next in-order sequence number expected (excluding the FIN).</summary>
    public SequenceNumber Next { get; set; }
    /// <summary>Distinct out-of-order ranges held above <see cref="Next"/>.</summary>
    public int OutOfOrderRanges => _ranges.Count;

    /// <summary>What <see cref="Write"/> did with a segment's data.</summary>
    public enum WriteResult
    {
        /// <summary>Started at <see cref="Next"/> and advanced it; no hole was closed.</summary>
        InOrder,
        /// <summary>Advanced <see cref="Next"/> and joined out-of-order data held beyond it.</summary>
        FilledHole,
        /// <summary>Held beyond a hole above <see cref="Next"/> (to be SACKed).</summary>
        OutOfOrder,
        /// <summary>Nothing stored: it starts before <see cref="Next"/>, is empty, or lies beyond the buffer's
        /// room.</summary>
        Duplicate,
        /// <summary>Dropped: it would need another out-of-order range beyond the limit.</summary>
        QueueFull,
    }

    /// <summary>Stores data starting at <paramref name="seq"/> (at or after <see cref="Next"/>), trimmed
    /// to the buffer's room. Advances <see cref="Next"/> over whatever became contiguous.</summary>
    public WriteResult Write(SequenceNumber seq, ReadOnlySpan<byte> data)
    {
        int offset = seq - Next;
        if (offset < 0 || data.IsEmpty) return WriteResult.Duplicate;
        int room = Free - offset;
        if (room <= 0) return WriteResult.Duplicate;
        if (data.Length > room) data = data[..room];
        var end = seq + data.Length;

        if (offset > 0)
        {
            int added = _ranges.Add(seq, end, out _);
            if (added < 0) return WriteResult.QueueFull;
            _recentLeft = _ranges[added].Left;
            CopyIn(offset, data);
            return WriteResult.OutOfOrder;
        }
        CopyIn(0, data);
        Readable += data.Length;
        Next = end;
        bool filled = false;
        // Absorb held ranges that are now contiguous (or overlapped) with RCV.NXT.
        while (_ranges.Count > 0 && _ranges[0].Left <= Next)
        {
            if (_ranges[0].Right > Next)
            {
                Readable += _ranges[0].Right - Next;
                Next = _ranges[0].Right;
            }
            _ranges.RemoveFirst();
            filled = true;
        }
        return filled ? WriteResult.FilledHole : WriteResult.InOrder;
    }

    private void CopyIn(int offset, ReadOnlySpan<byte> data)
    {
        if (_ring.Length == 0)
        {
            ObjectDisposedException.ThrowIf(_released, this);
            _ring = ArrayPool<byte>.Shared.Rent(Capacity);
        }
        int pos = (_read + Readable + offset) % _ring.Length;
        int first = Math.Min(data.Length, _ring.Length - pos);
        data[..first].CopyTo(_ring.AsSpan(pos));
        data[first..].CopyTo(_ring);
    }

    /// <summary>Fills SACK blocks: the most recently changed range first, then the others from the
    /// highest down (RFC 2018 §4).</summary>
    public int FillSackBlocks(ref TcpHeaderOptions options, int maxBlocks, int first = 0)
    {
        int n = first;
        int recent = -1;
        for (int i = 0; i < _ranges.Count; i++)
            if (_ranges[i].Left <= _recentLeft && _recentLeft < _ranges[i].Right) recent = i;
        if (recent >= 0 && n < maxBlocks)
            options.SackBlocks[n++] = new SackBlock(_ranges[recent].Left.Value, _ranges[recent].Right.Value);
        for (int i = _ranges.Count - 1; i >= 0 && n < maxBlocks; i--)
            if (i != recent) options.SackBlocks[n++] = new SackBlock(_ranges[i].Left.Value, _ranges[i].Right.Value);
        options.SackBlockCount = n;
        return n;
    }

    private void ReturnRing()
    {
        ArrayPool<byte>.Shared.Return(_ring);
        _ring = [];
        _read = 0;
    }

    /// <summary>Moves up to <paramref name="destination"/>.Length readable bytes out; returns the count.</summary>
    public int Read(Span<byte> destination)
    {
        int n = Peek(destination);
        Skip(n);
        return n;
    }

    /// <summary>The first <paramref name="maxBytes"/> readable bytes where they lie, without taking them:
    /// <paramref name="first"/>, then <paramref name="second"/> where the ring wraps (else empty). Valid until the
    /// next <see cref="Skip"/>, <see cref="Read"/> or <see cref="Release"/>; data arriving meanwhile is written past
    /// them.</summary>
    public void PeekInPlace(int maxBytes, out ReadOnlySpan<byte> first, out ReadOnlySpan<byte> second)
    {
        int n = Math.Min(maxBytes, Readable);
        int head = Math.Min(n, _ring.Length - _read);
        first = _ring.AsSpan(_read, head);
        second = _ring.AsSpan(0, n - head);
    }

    /// <summary>Takes <paramref name="n"/> readable bytes (at most <see cref="Readable"/>) without copying
    /// them.</summary>
    public void Skip(int n)
    {
        if (n <= 0 || _ring.Length == 0) return; // nothing, or released meanwhile
        _read = (_read + n) % _ring.Length;
        Readable -= n;
        if (Readable == 0 && _ranges.Count == 0) ReturnRing(); // idle: the next byte rents one again
    }

    /// <summary>Copies up to <paramref name="destination"/>'s length of the readable bytes without taking them
    /// (MSG_PEEK); returns how many were copied.</summary>
    public int Peek(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, Readable);
        if (n == 0) return 0;
        int first = Math.Min(n, _ring.Length - _read);
        _ring.AsSpan(_read, first).CopyTo(destination);
        _ring.AsSpan(0, n - first).CopyTo(destination[first..]);
        return n;
    }

    /// <summary>Returns the array to the pool and forgets all data; a later write throws
    /// ObjectDisposedException.</summary>
    public void Release()
    {
        _released = true;
        if (_ring.Length == 0) return;
        ReturnRing();
        Readable = 0;
        _ranges.Clear();
    }
}
