namespace Netstack.Harness.Trace;

/// <summary>Finds TCP retransmissions in a recording by tracking, per flow (one direction of a connection), the
/// sequence space seen so far: a segment carrying sequence numbers an earlier frame of the recording carried is a
/// retransmission (SYN and FIN count, as they take sequence space; a bare ACK is not). In a receiver's capture a
/// segment filling a hole left by a loss is the first of its bytes seen there, so it is not one. Done over the
/// recording after the run, so the stack's data path knows nothing of it.</summary>
public static class TcpRetransmissionMarker
{
    /// <summary>Adds a comment to every retransmission in <paramref name="frames"/> (and the segment notation, when
    /// the formatter has one, to every TCP frame), worded by <paramref name="formatter"/>.</summary>
    public static void Mark(IReadOnlyList<CapturedFrame> frames, TcpCommentFormatter formatter)
    {
        var flows = new Dictionary<(Netstack.Wire.IpAddress, ushort, Netstack.Wire.IpAddress, ushort), Flow>();
        foreach (var frame in frames)
        {
            if (TcpView.Read(frame.Bytes) is not { } tcp) continue;
            if (formatter.Segment?.Invoke(frame, tcp) is { } notation) frame.Annotations.Add(notation);
            bool syn = (tcp.Flags & TcpView.Syn) != 0;
            uint length = (uint)tcp.PayloadLength + (syn ? 1u : 0) + ((tcp.Flags & TcpView.Fin) != 0 ? 1u : 0);
            if (length == 0 || (tcp.Flags & TcpView.Rst) != 0) continue;
            var key = (tcp.Source, tcp.SourcePort, tcp.Destination, tcp.DestinationPort);
            // A SYN with another initial sequence number is a new connection on the same ports.
            if (!flows.TryGetValue(key, out var flow) || syn && flow.Isn != tcp.Sequence)
                flows[key] = flow = new Flow(syn ? tcp.Sequence : tcp.Sequence - 1);
            uint start = tcp.Sequence - flow.Isn, end = start + length;
            if (flow.FirstOverlapping(start, end) is { } first)
                frame.Annotations.Add(formatter.Retransmission(new TcpRetransmission(frame, tcp, start, end, first)));
            flow.Add(start, end, frame);
        }
    }

    /// <summary>One direction of a connection: its initial sequence number (the SYN's, or one before the first byte
    /// seen) and which frame first carried each stretch of sequence space seen, as disjoint stretches in order
    /// (relative to the initial sequence number, so they do not wrap within 4 GiB).</summary>
    private sealed class Flow(uint isn)
    {
        private readonly List<(uint Start, uint End, CapturedFrame Frame)> _seen = new();

        public uint Isn { get; } = isn;

        /// <summary>The frame that first carried the lowest of [start, end) seen before, or null if none was.</summary>
        public CapturedFrame? FirstOverlapping(uint start, uint end)
        {
            int i = FirstEndingAfter(start);
            return i < _seen.Count && _seen[i].Start < end ? _seen[i].Frame : null;
        }

        /// <summary>Records the parts of [start, end) not seen before as first carried by <paramref name="frame"/>.</summary>
        public void Add(uint start, uint end, CapturedFrame frame)
        {
            int i = FirstEndingAfter(start);
            while (start < end)
            {
                if (i == _seen.Count || end <= _seen[i].Start)
                {
                    _seen.Insert(i, (start, end, frame));
                    return;
                }
                if (start < _seen[i].Start)
                {
                    _seen.Insert(i, (start, _seen[i].Start, frame));
                    i++;
                }
                start = Math.Max(start, _seen[i].End);
                i++;
            }
        }

        /// <summary>Index of the first stretch ending after <paramref name="sequence"/> (binary search).</summary>
        private int FirstEndingAfter(uint sequence)
        {
            int lo = 0, hi = _seen.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (_seen[mid].End <= sequence) lo = mid + 1;
                else hi = mid;
            }
            return lo;
        }
    }
}
