namespace Netstack.Transport.Tcp;

/// <summary>The sender's record of what the peer has selectively acknowledged (RFC 6675 §3): sorted,
/// merged ranges above SND.UNA, with the loss and pipe computations that drive SACK-based recovery.</summary>
public sealed class SackScoreboard
{
    private const int DupThresh = 3;
    private readonly (SequenceNumber Left, SequenceNumber Right)[] _ranges;
    private int _count;

    public SackScoreboard(int maxRanges) => _ranges = new (SequenceNumber, SequenceNumber)[maxRanges];

    public int Count => _count;
    public bool IsEmpty => _count == 0;
    public SequenceNumber HighestSacked => _count == 0 ? default : _ranges[_count - 1].Right;

    /// <summary>Records a SACK block; ignores blocks outside (una, sndMax]. Returns whether it told us
    /// something new.</summary>
    public bool Add(SequenceNumber left, SequenceNumber right, SequenceNumber una, SequenceNumber sndMax)
    {
        if (left < una) left = una;
        if (right > sndMax) right = sndMax;
        if (right <= left) return false;
        int i = 0;
        while (i < _count && _ranges[i].Right < left) i++;
        int j = i;
        bool isNew = true;
        while (j < _count && _ranges[j].Left <= right)
        {
            if (_ranges[j].Left <= left && right <= _ranges[j].Right) isNew = false;
            left = SequenceNumber.Min(left, _ranges[j].Left);
            right = SequenceNumber.Max(right, _ranges[j].Right);
            j++;
        }
        int merged = j - i;
        if (merged == 0)
        {
            if (_count == _ranges.Length) return false; // full: keep the older, lower information
            Array.Copy(_ranges, i, _ranges, i + 1, _count - i);
            _count++;
        }
        else if (merged > 1)
        {
            Array.Copy(_ranges, j, _ranges, i + 1, _count - j);
            _count -= merged - 1;
        }
        _ranges[i] = (left, right);
        return isNew;
    }

    /// <summary>Forgets everything below the new SND.UNA.</summary>
    public void AdvanceTo(SequenceNumber una)
    {
        int drop = 0;
        while (drop < _count && _ranges[drop].Right <= una) drop++;
        if (drop > 0)
        {
            Array.Copy(_ranges, drop, _ranges, 0, _count - drop);
            _count -= drop;
        }
        if (_count > 0 && _ranges[0].Left < una) _ranges[0].Left = una;
    }

    public void Clear() => _count = 0;

    public bool IsSacked(SequenceNumber seq)
    {
        for (int i = 0; i < _count; i++)
            if (seq.InRange(_ranges[i].Left, _ranges[i].Right)) return true;
        return false;
    }

    /// <summary>RFC 6675 IsLost for the hole ending before range <paramref name="firstRangeAbove"/>:
    /// DupThresh discontiguous SACKed ranges above it, or more than (DupThresh - 1) * SMSS SACKed bytes.</summary>
    private bool HoleIsLost(int firstRangeAbove, int mss)
    {
        int ranges = _count - firstRangeAbove;
        if (ranges >= DupThresh) return true;
        long bytes = 0;
        for (int i = firstRangeAbove; i < _count; i++) bytes += _ranges[i].Right - _ranges[i].Left;
        return bytes > (DupThresh - 1) * (long)mss;
    }

    public bool IsLost(SequenceNumber seq, int mss)
    {
        int i = 0;
        while (i < _count && _ranges[i].Left <= seq) i++;
        return !IsSacked(seq) && HoleIsLost(i, mss);
    }

    /// <summary>RFC 6675 SetPipe: octets believed in flight. Un-SACKed octets not deemed lost count once;
    /// octets retransmitted (below HighRxt) count once more.</summary>
    public int Pipe(SequenceNumber una, SequenceNumber highData, SequenceNumber highRxt, int mss)
    {
        long pipe = 0;
        var holeStart = una;
        for (int i = 0; i <= _count; i++)
        {
            var holeEnd = i < _count ? _ranges[i].Left : highData;
            if (holeEnd > holeStart)
            {
                if (i == _count || !HoleIsLost(i, mss)) pipe += holeEnd - holeStart;
                var rxEnd = SequenceNumber.Min(holeEnd, highRxt);
                if (rxEnd > holeStart) pipe += rxEnd - holeStart;
            }
            if (i < _count) holeStart = SequenceNumber.Max(holeStart, _ranges[i].Right);
        }
        return (int)Math.Min(pipe, int.MaxValue);
    }

    /// <summary>The first un-SACKed range at or after <paramref name="from"/> and below the highest SACKed
    /// octet; with <paramref name="lostOnly"/>, only ranges IsLost holds for (NextSeg rules 1 and 3).</summary>
    public bool NextHole(SequenceNumber from, bool lostOnly, int mss, out SequenceNumber start, out SequenceNumber end)
    {
        var holeStart = from;
        for (int i = 0; i < _count; i++)
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
