using Netstack.Transport.Tcp;

namespace Netstack.Tests.Hardening;

/// <summary>What the peer sends in one cell of the matrix. Every event but SYN carries ACK = SND.NXT of
/// the stack under test (the acknowledgment a well-behaved peer would send).</summary>
public enum MatrixEvent { Syn, SynAck, Ack, Rst, Fin, Data }

/// <summary>Where the segment's sequence number sits relative to the receive window [RCV.NXT, RCV.NXT+RCV.WND)
/// (the freebsd-net tcp-testsuite layout). Segments occupy one sequence number (SYN, FIN, one data byte)
/// or none (ACK, RST).</summary>
public enum WindowPosition { LeftEdge, RightEdge, JustOutsideLeft, JustOutsideRight }

/// <summary>The single segment the stack must emit at once, or nothing.</summary>
public enum MatrixResponse
{
    /// <summary>No segment.</summary>
    Nothing,
    /// <summary>&lt;SEQ=SND.NXT&gt;&lt;ACK=RCV.NXT&gt;&lt;CTL=ACK&gt;, RCV.NXT unchanged by the segment.</summary>
    Ack,
    /// <summary>The same segment as <see cref="Ack"/>, sent as an RFC 5961 challenge ACK (counted as one).</summary>
    ChallengeAck,
    /// <summary>&lt;SEQ=SND.NXT&gt;&lt;ACK=SEG.SEQ+SEG.LEN&gt;&lt;CTL=ACK&gt;: the segment was consumed.</summary>
    AckOfSegment,
    /// <summary>&lt;SEQ=ISS&gt;&lt;ACK=SEG.SEQ+1&gt;&lt;CTL=SYN,ACK&gt;.</summary>
    SynAck,
    /// <summary>&lt;SEQ=SEG.ACK&gt;&lt;CTL=RST&gt;.</summary>
    Rst,
}

/// <summary>Expected outcome of one cell: the segment emitted and the state afterwards. <see cref="TcpState.Listen"/>
/// as a result means the connection is gone and its listener still listens; <see cref="TcpState.Closed"/> that
/// the connection ended.</summary>
public readonly record struct MatrixOutcome(MatrixResponse Response, TcpState State)
{
    public override string ToString() => $"{Response} -> {TcpStateEventTable.Name(State)}";
}

/// <summary>One (state, event) row: the outcome at each of the four window positions and the rule that decides it.</summary>
public sealed record MatrixRow(TcpState State, MatrixEvent Event, MatrixOutcome LeftEdge, MatrixOutcome RightEdge,
    MatrixOutcome JustOutsideLeft, MatrixOutcome JustOutsideRight, string Rule)
{
    public MatrixOutcome At(WindowPosition p) => p switch
    {
        WindowPosition.LeftEdge => LeftEdge,
        WindowPosition.RightEdge => RightEdge,
        WindowPosition.JustOutsideLeft => JustOutsideLeft,
        _ => JustOutsideRight,
    };
}

/// <summary>The TCP state × event matrix: for every state of RFC 9293 §3.3.2 (but CLOSED) and every kind of
/// arriving segment, what RFC 9293 §3.10.7 with RFC 5961 (blind RST/SYN/data mitigations) requires at each
/// window position. "first" .. "eighth" name the steps of RFC 9293 §3.10.7.4. Responses are those sent at
/// once (delayed ACKs off); the one deliberate deviation from the letter of the RFC is marked "deviation".</summary>
public static class TcpStateEventTable
{
    private static MatrixOutcome O(MatrixResponse r, TcpState s) => new(r, s);

    private const MatrixResponse Nothing = MatrixResponse.Nothing, Ack = MatrixResponse.Ack,
        Challenge = MatrixResponse.ChallengeAck, AckSeg = MatrixResponse.AckOfSegment, SynAck = MatrixResponse.SynAck,
        Rst = MatrixResponse.Rst;

    private static MatrixRow All(TcpState s, MatrixEvent e, MatrixOutcome o, string rule) => new(s, e, o, o, o, o, rule);

    /// <summary>In-window (left and right edge) outcomes, and the first-check ACK for both outside positions
    /// ("first: if a segment is not acceptable, send an ACK ... unless the RST bit is set"). A SYN outside the
    /// window gets that same ACK as a rate-limited challenge ACK: RFC 5961 §4.2 applies "irrespective of the
    /// sequence number" (Linux does the same: tcp_validate_incoming's syn_challenge).</summary>
    private static MatrixRow Win(TcpState s, MatrixEvent e, MatrixOutcome left, MatrixOutcome right, string rule) =>
        new(s, e, left, right, O(Outside(e), s), O(Outside(e), s), rule);

    private static MatrixResponse Outside(MatrixEvent e) => e switch
    {
        MatrixEvent.Rst => Nothing,
        MatrixEvent.Syn or MatrixEvent.SynAck => Challenge,
        _ => Ack,
    };

    public static readonly IReadOnlyList<MatrixRow> Rows = Build();

    private static List<MatrixRow> Build()
    {
        const TcpState Listen = TcpState.Listen, SynSent = TcpState.SynSent, SynRcvd = TcpState.SynReceived,
            Est = TcpState.Established, Fw1 = TcpState.FinWait1, Fw2 = TcpState.FinWait2, CloseWait = TcpState.CloseWait,
            Closing = TcpState.Closing, LastAck = TcpState.LastAck, TimeWait = TcpState.TimeWait, Closed = TcpState.Closed;
        const MatrixEvent Syn = MatrixEvent.Syn, SynAckEv = MatrixEvent.SynAck, AckEv = MatrixEvent.Ack,
            RstEv = MatrixEvent.Rst, Fin = MatrixEvent.Fin, Data = MatrixEvent.Data;
        var rows = new List<MatrixRow>
        {
            // LISTEN (§3.10.7.2): no receive window yet, so the position does not matter.
            All(Listen, Syn, O(SynAck, SynRcvd), "§3.10.7.2 third: SYN -> SYN-ACK <SEQ=ISS><ACK=RCV.NXT>, SYN-RECEIVED"),
            All(Listen, SynAckEv, O(Rst, Listen), "§3.10.7.2 second: any ACK -> <SEQ=SEG.ACK><CTL=RST>"),
            All(Listen, AckEv, O(Rst, Listen), "§3.10.7.2 second: any ACK -> <SEQ=SEG.ACK><CTL=RST>"),
            All(Listen, RstEv, O(Nothing, Listen), "§3.10.7.2 first: an incoming RST is ignored"),
            All(Listen, Fin, O(Rst, Listen), "§3.10.7.2 second: any ACK -> <SEQ=SEG.ACK><CTL=RST>"),
            All(Listen, Data, O(Rst, Listen), "§3.10.7.2 second: any ACK -> <SEQ=SEG.ACK><CTL=RST>"),

            // SYN-SENT (§3.10.7.3): acceptability is judged on SEG.ACK (= ISS+1 here), not on SEG.SEQ.
            All(SynSent, Syn, O(SynAck, SynRcvd), "§3.10.7.3 fourth: SYN without ACK, simultaneous open -> SYN,ACK <SEQ=ISS>"),
            All(SynSent, SynAckEv, O(AckSeg, Est), "§3.10.7.3 fourth: SYN with acceptable ACK -> ESTABLISHED, <ACK=RCV.NXT>"),
            All(SynSent, AckEv, O(Nothing, SynSent), "§3.10.7.3 fifth: neither SYN nor RST -> drop"),
            All(SynSent, RstEv, O(Nothing, Closed), "§3.10.7.3 second; RFC 5961 §3.2: RST with acceptable ACK -> CLOSED"),
            All(SynSent, Fin, O(Nothing, SynSent), "§3.10.7.3 fifth: neither SYN nor RST -> drop"),
            All(SynSent, Data, O(Nothing, SynSent), "§3.10.7.3 fifth: neither SYN nor RST -> drop"),

            // SYN-RECEIVED, from a passive OPEN.
            new(SynRcvd, Syn, O(Nothing, Listen), O(Nothing, Listen), O(SynAck, SynRcvd), O(Challenge, SynRcvd),
                "§3.10.7.4 fourth: SYN in window, passive OPEN -> back to LISTEN. Outside left is the peer's SYN "
                + "retransmitted (SEG.SEQ = IRS): deviation, the SYN-ACK is sent again (if none left in the last 500 ms) instead of first's ACK, which a "
                + "peer in SYN-SENT would drop (§3.10.7.3 fifth), like Linux and FreeBSD; outside right -> RFC 5961 §4.2 challenge ACK"),
            Win(SynRcvd, SynAckEv, O(Nothing, Listen), O(Nothing, Listen),
                "§3.10.7.4 fourth: SYN in window, passive OPEN -> back to LISTEN"),
            Win(SynRcvd, AckEv, O(Nothing, Est), O(Nothing, Est), "§3.10.7.4 fifth: SND.UNA < SEG.ACK =< SND.NXT -> ESTABLISHED"),
            Win(SynRcvd, RstEv, O(Nothing, Listen), O(Challenge, SynRcvd),
                "§3.10.7.4 second; RFC 5961 §3.2: exact RST -> back to LISTEN, in window -> challenge ACK"),
            Win(SynRcvd, Fin, O(AckSeg, CloseWait), O(Ack, Est),
                "§3.10.7.4 fifth then eighth: ESTABLISHED, FIN -> CLOSE-WAIT; a FIN beyond RCV.NXT is held, out of "
                + "order -> immediate duplicate ACK (RFC 5681 §4.2)"),
            Win(SynRcvd, Data, O(AckSeg, Est), O(Ack, Est),
                "§3.10.7.4 fifth then seventh: ESTABLISHED, in-order text acknowledged; out of order -> duplicate ACK (RFC 5681 §4.2)"),

            // ESTABLISHED.
            Win(Est, Syn, O(Challenge, Est), O(Challenge, Est), "§3.10.7.4 fourth; RFC 5961 §4.2: SYN -> challenge ACK"),
            Win(Est, SynAckEv, O(Challenge, Est), O(Challenge, Est), "§3.10.7.4 fourth; RFC 5961 §4.2: SYN -> challenge ACK"),
            Win(Est, AckEv, O(Nothing, Est), O(Nothing, Est), "§3.10.7.4 fifth: duplicate ACK, nothing to send"),
            Win(Est, RstEv, O(Nothing, Closed), O(Challenge, Est),
                "§3.10.7.4 second; RFC 5961 §3.2: RST at RCV.NXT -> CLOSED, elsewhere in window -> challenge ACK"),
            Win(Est, Fin, O(AckSeg, CloseWait), O(Ack, Est),
                "§3.10.7.4 eighth: FIN -> CLOSE-WAIT, acknowledged; held out of order -> duplicate ACK (RFC 5681 §4.2)"),
            Win(Est, Data, O(AckSeg, Est), O(Ack, Est),
                "§3.10.7.4 seventh: text acknowledged; out of order -> duplicate ACK (RFC 5681 §4.2)"),

            // FIN-WAIT-1 (our FIN unacknowledged; the peer's ACK = SND.NXT acknowledges it).
            Win(Fw1, Syn, O(Challenge, Fw1), O(Challenge, Fw1), "§3.10.7.4 fourth; RFC 5961 §4.2: SYN -> challenge ACK"),
            Win(Fw1, SynAckEv, O(Challenge, Fw1), O(Challenge, Fw1), "§3.10.7.4 fourth; RFC 5961 §4.2: SYN -> challenge ACK"),
            Win(Fw1, AckEv, O(Nothing, Fw2), O(Nothing, Fw2), "§3.10.7.4 fifth: our FIN acknowledged -> FIN-WAIT-2"),
            Win(Fw1, RstEv, O(Nothing, Closed), O(Challenge, Fw1), "§3.10.7.4 second; RFC 5961 §3.2"),
            Win(Fw1, Fin, O(AckSeg, TimeWait), O(Ack, Fw2),
                "§3.10.7.4 fifth then eighth: FIN acknowledged -> FIN-WAIT-2, their FIN -> TIME-WAIT; held FIN -> duplicate ACK"),
            Win(Fw1, Data, O(AckSeg, Fw2), O(Ack, Fw2), "§3.10.7.4 fifth then seventh: -> FIN-WAIT-2, text as in ESTABLISHED"),

            // FIN-WAIT-2.
            Win(Fw2, Syn, O(Challenge, Fw2), O(Challenge, Fw2), "§3.10.7.4 fourth; RFC 5961 §4.2: SYN -> challenge ACK"),
            Win(Fw2, SynAckEv, O(Challenge, Fw2), O(Challenge, Fw2), "§3.10.7.4 fourth; RFC 5961 §4.2: SYN -> challenge ACK"),
            Win(Fw2, AckEv, O(Nothing, Fw2), O(Nothing, Fw2), "§3.10.7.4 fifth: nothing new acknowledged"),
            Win(Fw2, RstEv, O(Nothing, Closed), O(Challenge, Fw2), "§3.10.7.4 second; RFC 5961 §3.2"),
            Win(Fw2, Fin, O(AckSeg, TimeWait), O(Ack, Fw2), "§3.10.7.4 eighth: FIN -> TIME-WAIT; held FIN -> duplicate ACK"),
            Win(Fw2, Data, O(AckSeg, Fw2), O(Ack, Fw2), "§3.10.7.4 seventh: text as in ESTABLISHED"),

            // CLOSE-WAIT (the peer's FIN received; RCV.NXT is past it).
            Win(CloseWait, Syn, O(Challenge, CloseWait), O(Challenge, CloseWait), "§3.10.7.4 fourth; RFC 5961 §4.2"),
            Win(CloseWait, SynAckEv, O(Challenge, CloseWait), O(Challenge, CloseWait), "§3.10.7.4 fourth; RFC 5961 §4.2"),
            Win(CloseWait, AckEv, O(Nothing, CloseWait), O(Nothing, CloseWait), "§3.10.7.4 fifth: nothing new acknowledged"),
            Win(CloseWait, RstEv, O(Nothing, Closed), O(Challenge, CloseWait), "§3.10.7.4 second; RFC 5961 §3.2"),
            Win(CloseWait, Fin, O(Ack, CloseWait), O(Ack, CloseWait),
                "§3.10.7.4 eighth: CLOSE-WAIT remains; the FIN is acknowledged, RCV.NXT already past the first FIN"),
            Win(CloseWait, Data, O(Nothing, CloseWait), O(Nothing, CloseWait),
                "§3.10.7.4 seventh: after a FIN, segment text is ignored"),

            // CLOSING (FINs crossed; ours unacknowledged).
            Win(Closing, Syn, O(Challenge, Closing), O(Challenge, Closing), "§3.10.7.4 fourth; RFC 5961 §4.2"),
            Win(Closing, SynAckEv, O(Challenge, Closing), O(Challenge, Closing), "§3.10.7.4 fourth; RFC 5961 §4.2"),
            Win(Closing, AckEv, O(Nothing, TimeWait), O(Nothing, TimeWait), "§3.10.7.4 fifth: our FIN acknowledged -> TIME-WAIT"),
            Win(Closing, RstEv, O(Nothing, Closed), O(Challenge, Closing), "§3.10.7.4 second; RFC 5961 §3.2"),
            Win(Closing, Fin, O(Ack, TimeWait), O(Ack, TimeWait),
                "§3.10.7.4 fifth then eighth: -> TIME-WAIT, the FIN acknowledged and the 2 MSL wait restarted"),
            Win(Closing, Data, O(Nothing, TimeWait), O(Nothing, TimeWait),
                "§3.10.7.4 fifth then seventh: -> TIME-WAIT, text ignored"),

            // LAST-ACK.
            Win(LastAck, Syn, O(Challenge, LastAck), O(Challenge, LastAck), "§3.10.7.4 fourth; RFC 5961 §4.2"),
            Win(LastAck, SynAckEv, O(Challenge, LastAck), O(Challenge, LastAck), "§3.10.7.4 fourth; RFC 5961 §4.2"),
            Win(LastAck, AckEv, O(Nothing, Closed), O(Nothing, Closed), "§3.10.7.4 fifth: our FIN acknowledged -> CLOSED"),
            Win(LastAck, RstEv, O(Nothing, Closed), O(Challenge, LastAck), "§3.10.7.4 second; RFC 5961 §3.2"),
            Win(LastAck, Fin, O(Nothing, Closed), O(Nothing, Closed), "§3.10.7.4 fifth: our FIN acknowledged -> CLOSED"),
            Win(LastAck, Data, O(Nothing, Closed), O(Nothing, Closed), "§3.10.7.4 fifth: our FIN acknowledged -> CLOSED"),

            // TIME-WAIT.
            new(TimeWait, Syn, O(Challenge, TimeWait), O(SynAck, SynRcvd), O(Challenge, TimeWait), O(SynAck, SynRcvd),
                "§3.10.7.4 fourth; RFC 1122 §4.2.2.13, RFC 6191: a SYN above RCV.NXT (window aside) opens a new "
                + "incarnation; at or below RCV.NXT -> RFC 5961 §4.2 challenge ACK"),
            Win(TimeWait, SynAckEv, O(Challenge, TimeWait), O(Challenge, TimeWait), "§3.10.7.4 fourth; RFC 5961 §4.2"),
            Win(TimeWait, AckEv, O(Nothing, TimeWait), O(Nothing, TimeWait), "§3.10.7.4 fifth: nothing new acknowledged"),
            Win(TimeWait, RstEv, O(Nothing, Closed), O(Challenge, TimeWait), "§3.10.7.4 second; RFC 5961 §3.2"),
            Win(TimeWait, Fin, O(Ack, TimeWait), O(Ack, TimeWait),
                "§3.10.7.4 eighth: TIME-WAIT remains, the FIN acknowledged and the 2 MSL wait restarted"),
            Win(TimeWait, Data, O(Nothing, TimeWait), O(Nothing, TimeWait), "§3.10.7.4 seventh: text ignored"),
        };
        return rows;
    }

    public static string Name(TcpState s) => s switch
    {
        TcpState.Closed => "CLOSED",
        TcpState.Listen => "LISTEN",
        TcpState.SynSent => "SYN-SENT",
        TcpState.SynReceived => "SYN-RECEIVED",
        TcpState.Established => "ESTABLISHED",
        TcpState.FinWait1 => "FIN-WAIT-1",
        TcpState.FinWait2 => "FIN-WAIT-2",
        TcpState.CloseWait => "CLOSE-WAIT",
        TcpState.Closing => "CLOSING",
        TcpState.LastAck => "LAST-ACK",
        _ => "TIME-WAIT",
    };

    public static string Name(MatrixEvent e) => e switch
    {
        MatrixEvent.Syn => "SYN",
        MatrixEvent.SynAck => "SYN-ACK",
        MatrixEvent.Ack => "ACK",
        MatrixEvent.Rst => "RST",
        MatrixEvent.Fin => "FIN",
        _ => "data",
    };

    public static string Name(WindowPosition p) => p switch
    {
        WindowPosition.LeftEdge => "left-edge",
        WindowPosition.RightEdge => "right-edge",
        WindowPosition.JustOutsideLeft => "just-outside-left",
        _ => "just-outside-right",
    };
}
