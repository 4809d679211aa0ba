using Netstack.Harness.Packetdrill;
using Netstack.Harness.Packetdrill.Execution;
using Netstack.Harness.Trace;
using Netstack.Wire;

namespace Netstack.Harness.Steps;

/// <summary><c>tcp: "S. 0:0(0) ack 1 win 65535 &lt;mss 1460,sackOK,TS val * ecr 0,nop,wscale 7&gt;"</c> in a frame
/// expectation: the segment in packetdrill's notation, compared as packetdrill compares a <c>&gt;</c> line. Flags
/// exactly; <c>start:end(len)</c> relative to the sender's ISN and <c>ack</c> and SACK blocks relative to the
/// receiver's (<see cref="TcpSequenceBases"/>: a SYN into a live connection does not re-base them); <c>win</c> as
/// on the wire when written (<c>*</c> or omitted: any); options item by item, <c>...</c> standing for any options
/// there and <c>&lt;...&gt;</c> for options not checked, no list meaning none; <c>TS val</c> is the sender's clock
/// and not compared, <c>ecr</c> is (as sent) unless <c>*</c>. With a <see cref="Connection"/>, the frame must go
/// from the sending end to the other.</summary>
public sealed class TcpSegmentCheck
{
    public required TcpSegmentSpec Segment { get; init; }
    public required string Text { get; init; }
    public TcpConnectionSpec? Connection { get; init; }
    /// <summary>The host the segment is expected from (the expectation's <c>from:</c>), to orient the connection.</summary>
    public string? From { get; init; }

    public string? Mismatch(CapturedFrame frame)
    {
        if (TcpView.Read(frame.Bytes) is not { } view) return "not a TCP segment";
        if (Connection is { } c && From is { } from && c.Sent(from) is { } ends &&
            (view.Source != ends.From.Address || view.SourcePort != ends.From.Port ||
             view.Destination != ends.To.Address || view.DestinationPort != ends.To.Port))
            return $"on {view.Source}:{view.SourcePort} > {view.Destination}:{view.DestinationPort}, not on connection {c}";
        var live = SegmentCodec.ReadTcp(TcpView.Segment(frame.Bytes))!;
        var (own, peer) = frame.TcpBases;
        var problems = new List<string>();
        var flags = SegmentCodec.Flags(live.Flags);
        if (flags != Segment.Flags) problems.Add($"flags {flags}, not {Segment.Flags}");
        uint start = Segment.AbsoluteSequence ? live.Sequence : live.Sequence - (own ?? 0);
        if (start != Segment.Start || live.PayloadLength != Segment.Length)
            problems.Add($"{start}:{start + (uint)live.PayloadLength}({live.PayloadLength}), not {Segment.Start}:{Segment.End}({Segment.Length})");
        if (Segment.Ack is uint ack)
        {
            uint actual = live.Acknowledgment - (peer ?? 0);
            if (!flags.Ack) problems.Add("no ack");
            else if (actual != ack) problems.Add($"ack {actual}, not {ack}");
        }
        if (Segment.Window is int window && live.Window != window) problems.Add($"win {live.Window}, not {window}");
        if (!Segment.Options.AnyOptions)
        {
            var liveOptions = live.Options.Select(o => o is SackOption sack
                ? new SackOption(sack.Blocks.Select(b => new SackBlockSpec(b.Left - (peer ?? 0), b.Right - (peer ?? 0))).ToList())
                : o).ToList();
            if (!SegmentMatcher.OptionsMatch(Segment.Options.Items, liveOptions))
                problems.Add($"options {(liveOptions.Count == 0 ? "none" : "<" + string.Join(",", liveOptions) + ">")}, not " +
                             (Segment.Options.Items.Count == 0 ? "none" : "<" + string.Join(",", Segment.Options.Items) + ">"));
        }
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    public string Describe() => $"tcp \"{Text}\"";
}
