namespace Netstack.Transport.Tcp;

/// <summary>The sender's record of what the peer has selectively acknowledged (RFC 6675 §3): sorted,
/// merged ranges above SND.UNA, with the loss and pipe computations that drive SACK-based recovery.</summary>
public sealed class SackScoreboard
{
    private const int DupThresh = 3;
    private readonly SequenceRangeSet _ranges;

    /// <summary>An empty scoreboard holding at most <paramref name="maxRanges"/> SACKed ranges.</summary>
    public SackScoreboard(int maxRanges) => _ranges = new SequenceRangeSet(maxRanges);

    /// <summary>Disjoint SACKed ranges held.</summary>
    public int Count => _ranges.Count;
    /// <summary>Nothing is SACKed above SND.UNA.</summary>
    public bool IsEmpty => _ranges.Count == 0;
    /// <summary>Right edge (exclusive) of the highest SACKed range; default when empty.</summary>
    public SequenceNumber HighestSacked => _ranges.Count == 0 ? default : _ranges[_ranges.Count - 1].Right;

    /// <summary>Records a SACK block; ignores blocks outside (una, sndMax]. Returns whether it told us
    /// something new.</summary>
    public bool Add(SequenceNumber left, SequenceNumber right, SequenceNumber una, SequenceNumber sndMax)
    {
        if (left < una) left = una;
        if (right > sndMax) right = sndMax;
        if (right <= left) return false;
        return _ranges.Add(left, right, out bool alreadyCovered) >= 0 && !alreadyCovered;
    }

    /// <summary>Octets SACKed above SND.UNA (for PRR's DeliveredData, RFC 6937 §3).</summary>
    public long SackedBytes()
    {
        long n = 0;
        for (int i = 0; i < _ranges.Count; i++) n += _ranges[i].Right - _ranges[i].Left;
        return n;
    }

    /// <summary>Forgets everything below the new SND.UNA.</summary>
    public void AdvanceTo(SequenceNumber una) => _ranges.TrimBelow(una);

    /// <summary>Forgets every range, as after a retransmission timeout (RFC 6675 §5.1).</summary>
    public void Clear() => _ranges.Clear();

    /// <summary>The octet at <paramref name="seq"/> lies in a SACKed range.</summary>
    public bool IsSacked(SequenceNumber seq)
    {
        for (int i = 0; i < _ranges.Count; i++)
            if (seq.InRange(_ranges[i].Left, _ranges[i].Right)) return true;
        return false;
    }

    /// <summary>RFC 6675 IsLost for the hole ending before range <paramref name="firstRangeAbove"/>:
    /// DupThresh discontiguous SACKed ranges above it, or more than (DupThresh - 1) * SMSS SACKed bytes.</summary>
    private bool HoleIsLost(int firstRangeAbove, int mss)
    {
        int ranges = _ranges.Count - firstRangeAbove;
        if (ranges >= DupThresh) return true;
        long bytes = 0;
        for (int i = firstRangeAbove; i < _ranges.Count; i++) bytes += _ranges[i].Right - _ranges[i].Left;
        return bytes > (DupThresh - 1) * (long)mss;
    }

    /// <summary>RFC 6675 IsLost(SeqNum): <paramref name="seq"/> is not SACKed and enough is SACKed above it, with
    /// <paramref name="mss"/> the sender's SMSS in bytes.</summary>
    public bool IsLost(SequenceNumber seq, int mss)
    {
        int i = 0;
        while (i < _ranges.Count && _ranges[i].Left <= seq) i++;
        return !IsSacked(seq) && HoleIsLost(i, mss);
    }

    /// <summary>RFC 6675 SetPipe: octets believed in flight. Un-SACKed octets not deemed lost count once;
    /// octets retransmitted (below HighRxt) count once more.</summary>
    public int Pipe(SequenceNumber una, SequenceNumber highData, SequenceNumber highRxt, int mss)
    {
        long pipe = 0;
        var holeStart = una;
        for (int i = 0; i <= _ranges.Count; i++)
        {
            var holeEnd = i < _ranges.Count ? _ranges[i].Left : highData;
            if (holeEnd > holeStart)
            {
                if (i == _ranges.Count || !HoleIsLost(i, mss)) pipe += holeEnd - holeStart;
                var rxEnd = SequenceNumber.Min(holeEnd, highRxt);
                if (rxEnd > holeStart) pipe += rxEnd - holeStart;
            }
            if (i < _ranges.Count) holeStart = SequenceNumber.Max(holeStart, _ranges[i].Right);
        }
        return (int)Math.Min(pipe, int.MaxValue);
    }

    /// <summary>The first un-SACKed range at or after <paramref name="from"/> and below the highest SACKed
    /// octet; with <paramref name="lostOnly"/>, only ranges IsLost holds for (NextSeg rules 1 and 3).</summary>
    public bool NextHole(SequenceNumber from, bool lostOnly, int mss, out SequenceNumber start, out SequenceNumber end)
    {
        var holeStart = from;
        for (int i = 0; i < _ranges.Count; i++)
        {
            var holeEnd = _ranges[i].Left;
            if (holeEnd > holeStart && (!lostOnly || HoleIsLost(i, mss)))
            {
                start = holeStart;
                end = holeEnd;
                return true;
            }
            holeStart = SequenceNumber.Max(holeStart, _ranges[i].Right);
        }
        start = end = default;
        return false;
    }
}
