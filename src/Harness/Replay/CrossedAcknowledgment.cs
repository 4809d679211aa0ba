using Netstack.Transport.Tcp;

namespace Netstack.Harness.Replay;

/// <summary>When an acknowledgment of ours may run ahead of the captured one: the played peer's bytes (data
/// and/or FIN) that the captured segment does not acknowledge crossed it on the wire (each of those segments
/// acknowledges less than the captured segment ends at: it left before that segment arrived), and the captured
/// endpoint acknowledged them afterwards. Which of two crossing segments reaches its endpoint first is the two
/// applications' timing (a client closing while the server's last bytes are in flight, a simultaneous close),
/// not the stack's. Ours must acknowledge exactly up to the end of one of those segments; anything else, or
/// bytes the endpoint never acknowledged, stays a difference.</summary>
public sealed class CrossedAcknowledgment(IReadOnlyList<ReplayFrame> peer, IReadOnlyList<ReplayFrame> endpoint)
{
    /// <summary>Sequence-space order (RFC 9293 §3.4), as the stack's <see cref="SequenceNumber"/> compares.</summary>
    private static bool Before(uint a, uint b) => new SequenceNumber(a) < new SequenceNumber(b);

    /// <summary>Where a segment ends in sequence space (SYN and FIN count one each).</summary>
    private static uint End(ReplayFrame f) =>
        unchecked(f.Seq + (uint)f.TcpPayloadLength + (f.Has(ReplayFrame.Syn) ? 1u : 0u) + (f.Has(ReplayFrame.Fin) ? 1u : 0u));

    /// <summary>Why <paramref name="ours"/> acknowledging more than captured segment <paramref name="captured"/>
    /// is tolerated (the text shown), or null when it is a difference.</summary>
    public string? Reason(ReplayFrame captured, uint ours)
    {
        if (!captured.Has(ReplayFrame.AckFlag) || !Before(captured.Ack, ours)) return null;
        uint capturedEnd = End(captured);
        // Walk the peer's sequence space from what the captured segment acknowledged to ours, one crossing
        // segment at a time; ours must land on a segment's end.
        uint cursor = captured.Ack;
        int bytes = 0;
        bool fin = false;
        while (Before(cursor, ours))
        {
            var next = peer.FirstOrDefault(p => p.IsTcp && !p.Has(ReplayFrame.Syn) && !p.Has(ReplayFrame.Rst)
                && p.Has(ReplayFrame.AckFlag) && Before(p.Ack, capturedEnd)
                && !Before(cursor, p.Seq) && Before(cursor, End(p)));
            if (next is null) return null;
            uint end = End(next);
            fin |= next.Has(ReplayFrame.Fin);
            bytes += (int)unchecked(end - cursor) - (next.Has(ReplayFrame.Fin) ? 1 : 0);
            cursor = end;
        }
        if (cursor != ours) return null;
        var later = endpoint.FirstOrDefault(f => f.Number > captured.Number && f.IsTcp && f.Has(ReplayFrame.AckFlag) && !Before(f.Ack, ours));
        if (later is null) return null;
        string what = (bytes > 0 ? $"{bytes} byte{(bytes == 1 ? "" : "s")}" : "") + (bytes > 0 && fin ? " and " : "") + (fin ? "FIN" : "");
        return $"ack {captured.Ack} in capture, {ours} ours: the peer's {what} crossed this segment on the wire in the capture, and the endpoint acknowledged {(bytes > 0 && fin ? "them" : "it")} afterwards (frame {later.Number})";
    }
}
