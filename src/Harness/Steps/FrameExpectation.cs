using Netstack.Harness.Trace;
using Netstack.Time;

namespace Netstack.Harness.Steps;

/// <summary><c>expect: { frame: FILTER, from: a, to: b, segment: lan, count: N }</c> and
/// <c>expect: { no-frame: FILTER, ... }</c>: what the recording must (not) contain in a time window.</summary>
public sealed class FrameExpectation : Step
{
    public required FrameFilter Filter { get; init; }
    /// <summary>Host that sent the frame.</summary>
    public string? From { get; init; }
    /// <summary>Host the frame is addressed to at the link layer (its MAC, or broadcast on its segment).</summary>
    public string? To { get; init; }
    /// <summary>Segment the frame was sent on.</summary>
    public string? On { get; init; }
    /// <summary>Exactly this many frames in the window; null means at least one.</summary>
    public int? Count { get; init; }
    /// <summary>True for <c>no-frame</c>: nothing may match in the window.</summary>
    public bool Negated { get; init; }
    public Duration Tolerance { get; init; }
    /// <summary>Decoded TCP fields the frame must have (relative seq/ack).</summary>
    public TcpFieldCheck? Tcp { get; init; }
    /// <summary>The TCP segment in packetdrill's notation (<c>tcp: "P. 1:4(3) ack 1"</c>).</summary>
    public TcpSegmentCheck? Segment { get; init; }
    /// <summary>"The next segment is exactly this": the first TCP segment from <see cref="From"/> (on the connection,
    /// when one is given) after the last one an expectation took must match, within the step's window
    /// (<c>next: true</c>, or any segment expectation for a host under <c>strict:</c>).</summary>
    public bool Ordered { get; init; }

    public override string Describe()
    {
        var what = Negated ? "no frame" : Count is { } n ? $"exactly {n} frame{(n == 1 ? "" : "s")}" : "a frame";
        if (Segment is not null && Filter.Expression == "tcp")
            what = Ordered ? "the next segment" : Negated ? "no segment" : Count is { } c ? $"exactly {c} segment{(c == 1 ? "" : "s")}" : "a segment";
        var text = Segment is not null && Filter.Expression == "tcp" ? what : $"{what} matching \"{Filter.Expression}\"";
        if (From is not null) text += $" from {From}";
        if (To is not null) text += $" to {To}";
        if (On is not null) text += $" on {On}";
        if (Tcp is not null) text += $" with {Tcp.Describe()}";
        if (Segment is not null) text += $" {Segment.Describe()}";
        return text;
    }
}
