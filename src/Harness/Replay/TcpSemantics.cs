namespace Netstack.Harness.Replay;

/// <summary>Judges a TCP connection by what it achieved rather than segment by segment, for captures with
/// loss, retransmission, reordering or duplication (where two correct stacks send different segments): the
/// same bytes sent in order, the same SYN/FIN/RST sequence, acknowledgments that get as far as the
/// captured ones, and (when known) the same bytes delivered to the application. Retransmissions are
/// listed as notes, not counted as differences.</summary>
public static class TcpSemantics
{
    /// <summary>A connection's data one way, rebuilt from its segments by sequence number.</summary>
    private sealed class Stream
    {
        private const int Limit = 64 << 20; // bytes of one direction kept; beyond that, offsets are bogus
        public readonly List<byte> Bytes = new();
        private readonly List<bool> _have = new();
        public readonly List<int> Retransmitted = new();
        public readonly List<int> OutOfOrder = new();
        public readonly List<string> Flags = new();
        public int Segments;
        private long _highest;

        public Stream(IEnumerable<ReplayFrame> frames, uint isn)
        {
            bool syn = false, fin = false, rst = false;
            foreach (var f in frames)
            {
                if (!f.IsTcp) continue;
                if (f.Has(ReplayFrame.Syn) && !syn) { syn = true; Flags.Add(f.Has(ReplayFrame.AckFlag) ? "SYN-ACK" : "SYN"); }
                else if (f.Has(ReplayFrame.Syn)) Retransmitted.Add(f.Number);
                long offset = (long)unchecked(f.Seq - isn) - 1;
                if (f.TcpPayloadLength > 0 && offset >= 0 && offset + f.TcpPayloadLength <= Limit)
                {
                    Segments++;
                    bool repeated = false, filled = false;
                    var payload = f.TcpPayload;
                    for (int i = 0; i < payload.Length; i++)
                    {
                        long pos = offset + i;
                        while (Bytes.Count <= pos) { Bytes.Add(0); _have.Add(false); }
                        if (_have[(int)pos]) { repeated = true; continue; }
                        Bytes[(int)pos] = payload[i];
                        _have[(int)pos] = true;
                        if (pos < _highest) filled = true;
                    }
                    if (repeated) Retransmitted.Add(f.Number);
                    else if (filled) OutOfOrder.Add(f.Number);
                    _highest = Math.Max(_highest, offset + payload.Length);
                }
                if (f.Has(ReplayFrame.Fin))
                {
                    if (!fin) { fin = true; Flags.Add($"FIN at byte {Math.Max(0, offset + f.TcpPayloadLength)}"); }
                    else if (f.TcpPayloadLength == 0) Retransmitted.Add(f.Number);
                    // A FIN ahead of bytes not seen yet (lost before the capture point): they fill a hole when they come.
                    _highest = Math.Max(_highest, offset + f.TcpPayloadLength);
                }
                if (f.Has(ReplayFrame.Rst) && !rst) { rst = true; Flags.Add("RST"); }
            }
        }

        /// <summary>Bytes up to the first one the segments never carried.</summary>
        public int Contiguous
        {
            get
            {
                int i = _have.IndexOf(false);
                return i < 0 ? _have.Count : i;
            }
        }

        public bool Irregular => Retransmitted.Count > 0 || OutOfOrder.Count > 0 || Contiguous < Bytes.Count;
    }

    public static bool Irregular(IEnumerable<ReplayFrame> expected, IEnumerable<ReplayFrame> ours, IEnumerable<ReplayFrame> peer,
        uint capturedIsn, uint ourIsn, uint peerIsn) =>
        new Stream(expected, capturedIsn).Irregular || new Stream(ours, ourIsn).Irregular || new Stream(peer, peerIsn).Irregular;

    public static IEnumerable<ReplayExchange> Judge(string flow, List<(ReplayFrame Frame, int? Trigger)> expected, List<ReplayFrame> ours,
        List<ReplayFrame> peer, uint capturedIsn, uint ourIsn, uint peerIsn, byte[]? delivered, ReplayReport report)
    {
        var captured = new Stream(expected.Select(x => x.Frame), capturedIsn);
        var our = new Stream(ours, ourIsn);
        var theirs = new Stream(peer, peerIsn);
        int first = expected[0].Frame.Number;
        int? firstOurs = ours.Count > 0 ? ours[0].Number : null;

        // Per-frame header fields still matter when segments are not paired: the set each side used.
        var header = new List<string>();
        void Same(string field, Func<ReplayFrame, string> value)
        {
            var c = expected.Select(x => value(x.Frame)).Distinct().Order().ToList();
            var a = ours.Select(value).Distinct().Order().ToList();
            if (a.Count > 0 && !c.SequenceEqual(a)) header.Add($"{field} {string.Join("/", c)} in capture, {string.Join("/", a)} ours");
        }
        bool ipv6 = expected[0].Frame.IsIpv6;
        Same(ipv6 ? "hop limit" : "ttl", f => f.Ttl.ToString());
        Same(ipv6 ? "traffic class" : "ip tos", f => f.Tos.ToString());
        if (!ipv6) Same("ip DF", f => f.DontFragment.ToString());
        if (header.Count > 0)
            yield return new(first, expected[0].Trigger, firstOurs, $"{flow} {(ipv6 ? "IPv6" : "IPv4")} headers", header) { Semantic = true };

        var data = new List<string>();
        int n = captured.Contiguous, o = our.Contiguous;
        if (n != o) data.Add($"{n} bytes sent in order in capture, {o} ours");
        int common = Math.Min(n, o);
        for (int i = 0; i < common; i++)
            if (captured.Bytes[i] != our.Bytes[i]) { data.Add($"data differs at stream byte {i}"); break; }
        yield return new(first, expected[0].Trigger, firstOurs,
            $"{flow} data: {n} bytes in {captured.Segments} segments (ours {our.Segments})", data) { Semantic = true };

        var flags = new List<string>();
        string c = string.Join(", ", captured.Flags), a = string.Join(", ", our.Flags);
        if (c != a) flags.Add($"{(c == "" ? "none" : c)} in capture, {(a == "" ? "none" : a)} ours");
        yield return new(first, expected[0].Trigger, firstOurs, $"{flow} SYN/FIN/RST: {(c == "" ? "none" : c)}", flags) { Semantic = true };

        // Acknowledgments: the peer's sequence numbers are not rewritten, so ours and the capture's compare directly.
        uint? capturedAck = MaxAck(expected.Select(x => x.Frame)), ourAck = MaxAck(ours);
        var acks = new List<string>();
        if (capturedAck is { } ca && (ourAck is not { } oa || new Netstack.Transport.Tcp.SequenceNumber(oa) < new Netstack.Transport.Tcp.SequenceNumber(ca)))
            acks.Add($"the capture acknowledges up to {unchecked(ca - peerIsn)} (relative), ours {(ourAck is { } x ? unchecked(x - peerIsn).ToString() : "nothing")}");
        yield return new(first, expected[0].Trigger, firstOurs,
            $"{flow} acknowledgments: up to {(capturedAck is { } y ? unchecked(y - peerIsn).ToString() : "none")} (relative)", acks) { Semantic = true };

        if (delivered is not null)
        {
            var got = new List<string>();
            int sent = theirs.Contiguous;
            if (delivered.Length != sent) got.Add($"the peer's segments carry {sent} bytes in order, our application received {delivered.Length}");
            for (int i = 0; i < Math.Min(sent, delivered.Length); i++)
                if (theirs.Bytes[i] != delivered[i]) { got.Add($"delivered data differs at stream byte {i}"); break; }
            yield return new(first, expected[0].Trigger, firstOurs, $"{flow} delivered to the application: {sent} bytes", got) { Semantic = true };
        }

        string List(List<int> numbers, string prefix) => numbers.Count == 0 ? "none"
            : string.Join(", ", numbers.Take(8).Select(x => prefix + x)) + (numbers.Count > 8 ? $" and {numbers.Count - 8} more" : "");
        report.Notes.Add($"{"retransmissions",-18} {flow}: endpoint in capture {captured.Retransmitted.Count} ({List(captured.Retransmitted, "frame ")}), ours {our.Retransmitted.Count} ({List(our.Retransmitted, "#")}), peer {theirs.Retransmitted.Count} ({List(theirs.Retransmitted, "frame ")}); out of order (filling a hole): endpoint in capture {captured.OutOfOrder.Count}, peer {theirs.OutOfOrder.Count}");
    }

    private static uint? MaxAck(IEnumerable<ReplayFrame> frames)
    {
        uint? max = null;
        foreach (var f in frames)
            if (f.IsTcp && f.Has(ReplayFrame.AckFlag) && (max is not { } m || (int)unchecked(f.Ack - m) > 0)) max = f.Ack;
        return max;
    }
}
