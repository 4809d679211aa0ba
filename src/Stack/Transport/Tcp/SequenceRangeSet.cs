namespace Netstack.Transport.Tcp;

/// <summary>A bounded set of disjoint sequence ranges [Left, Right), kept sorted and merged: the receiver's
/// out-of-order data (<see cref="ReceiveBuffer"/>) and the sender's SACK scoreboard (<see cref="SackScoreboard"/>)
/// are both one of these. Fixed capacity so a peer cannot grow it; no allocation after construction.</summary>
public sealed class SequenceRangeSet
{
    private readonly (SequenceNumber Left, SequenceNumber Right)[] _ranges;

    /// <summary>An empty set holding at most <paramref name="capacity"/> ranges.</summary>
    public SequenceRangeSet(int capacity) => _ranges = new (SequenceNumber, SequenceNumber)[capacity];

    /// <summary>Disjoint ranges held.</summary>
    public int Count { get; private set; }
    /// <summary>Most ranges the set holds; fixed at construction.</summary>
    public int Capacity => _ranges.Length;
    /// <summary>The range at <paramref name="index"/> in ascending order, 0 to <see cref="Count"/> - 1.</summary>
    public (SequenceNumber Left, SequenceNumber Right) this[int index] => _ranges[index];

    /// <summary>Adds [<paramref name="left"/>, <paramref name="right"/>), merging every range it touches.
    /// Returns the index of the range that now holds it, or -1 when it touches none and the set is full (the
    /// older, lower ranges are kept). <paramref name="alreadyCovered"/> tells whether one range held it all.</summary>
    public int Add(SequenceNumber left, SequenceNumber right, out bool alreadyCovered)
    {
        alreadyCovered = false;
        // Find the first range that ends at or after left; merge every range touching [left, right).
        int i = 0;
        while (i < Count && _ranges[i].Right < left) i++;
        int j = i;
        while (j < Count && _ranges[j].Left <= right)
        {
            if (_ranges[j].Left <= left && right <= _ranges[j].Right) alreadyCovered = true;
            left = SequenceNumber.Min(left, _ranges[j].Left);
            right = SequenceNumber.Max(right, _ranges[j].Right);
            j++;
        }
        int merged = j - i;
        if (merged == 0)
        {
            if (Count == _ranges.Length) return -1;
            Array.Copy(_ranges, i, _ranges, i + 1, Count - i);
            Count++;
        }
        else if (merged > 1)
        {
            Array.Copy(_ranges, j, _ranges, i + 1, Count - j);
            Count -= merged - 1;
        }
        _ranges[i] = (left, right);
        return i;
    }

    /// <summary>Forgets everything below <paramref name="edge"/>: whole ranges, and the part of one that straddles it.</summary>
    public void TrimBelow(SequenceNumber edge)
    {
        int drop = 0;
        while (drop < Count && _ranges[drop].Right <= edge) drop++;
        RemoveFirst(drop);
        if (Count > 0 && _ranges[0].Left < edge) _ranges[0].Left = edge;
    }

    /// <summary>Removes the lowest <paramref name="n"/> ranges.</summary>
    public void RemoveFirst(int n = 1)
    {
        if (n <= 0) return;
        Array.Copy(_ranges, n, _ranges, 0, Count - n);
        Count -= n;
    }

    /// <summary>Forgets every range; the storage is kept.</summary>
    public void Clear() => Count = 0;
}
