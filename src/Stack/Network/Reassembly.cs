using Netstack.Link;
using Netstack.Time;

namespace Netstack.Network;

/// <summary>One datagram being reassembled, whatever the IP family: the fragment ranges received so far (RFC 815
/// hole tracking), the payload length once the last fragment came, the pooled buffer and the pending timeout.
/// A family's subclass adds what it keeps of the first fragment and what it does when the timeout fires.</summary>
internal abstract class Reassembly<TKey> : IScheduledAction where TKey : struct
{
    public TKey Key;
    public byte[] Buffer = [];
    public int HeaderLength;       // 0 until the first fragment arrived
    public int TotalPayload = -1;  // known once the last fragment arrived
    /// <summary>Received payload ranges [Start, End), sorted and disjoint.</summary>
    public readonly List<(int Start, int End)> Ranges = new();
    public long Generation;
    public NetworkInterface? Interface;

    public bool IsCurrent(long token) => token == Generation;

    public void Run(long token)
    {
        if (token == Generation) Expire();
    }

    /// <summary>The reassembly timeout fired for this datagram.</summary>
    protected abstract void Expire();

    /// <summary>Returns the buffers this datagram holds to <paramref name="memory"/>.</summary>
    public virtual void ReleaseBuffers(ReassemblyMemory memory) => memory.Return(ref Buffer);

    /// <summary>True when a fragment ending at <paramref name="end"/> contradicts the length the last fragment set,
    /// or, being the last, ends before data already received.</summary>
    public bool ContradictsLength(int end, bool last) =>
        (last && TotalPayload >= 0 && TotalPayload != end) ||
        (TotalPayload >= 0 && end > TotalPayload) ||
        (last && Ranges.Count > 0 && Ranges[^1].End > end);

    /// <summary>Where the fragment [<paramref name="start"/>, <paramref name="end"/>) goes among the received
    /// ranges: new (at <paramref name="insertAt"/>), an exact duplicate, or overlapping one.</summary>
    public FragmentPlacement Place(int start, int end, out int insertAt)
    {
        insertAt = 0;
        foreach (var (s, e) in Ranges)
        {
            if (s == start && e == end) return FragmentPlacement.Duplicate;
            if (start < e && s < end) return FragmentPlacement.Overlap;
            if (s < start) insertAt++;
        }
        return FragmentPlacement.New;
    }

    /// <summary>True once the first and last fragments arrived and the ranges leave no hole.</summary>
    public bool IsComplete
    {
        get
        {
            if (TotalPayload < 0 || HeaderLength == 0) return false;
            int covered = 0;
            foreach (var (s, e) in Ranges)
            {
                if (s != covered) return false;
                covered = e;
            }
            return covered == TotalPayload;
        }
    }
}
