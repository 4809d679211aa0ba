using System.Globalization;
using Netstack.Time;

namespace Netstack.Harness.Trace;

/// <summary>A TCP segment that carries sequence space its sender had sent before.</summary>
/// <param name="Frame">The retransmitting frame.</param>
/// <param name="Segment">Its TCP fields.</param>
/// <param name="RelativeStart">Its first sequence number, relative to the flow's SYN (0 is the SYN, 1 the first data
/// byte, as Wireshark shows them); absolute when the SYN is not in the recording.</param>
/// <param name="RelativeEnd">One past its last sequence number (Wireshark's NextSeq), relative the same way.</param>
/// <param name="FirstSent">The frame that first carried <paramref name="RelativeStart"/>.</param>
public readonly record struct TcpRetransmission(CapturedFrame Frame, TcpView Segment, uint RelativeStart, uint RelativeEnd,
    CapturedFrame FirstSent);

/// <summary>The text of the comments the recorder puts on TCP frames of a pcapng recording. The one place that text is
/// made: a notation (packetdrill's, say) plugs in through <see cref="Segment"/>, and a different wording of
/// retransmissions by overriding <see cref="Retransmission"/>.</summary>
public class TcpCommentFormatter
{
    /// <summary>The wording used unless a run is given another.</summary>
    public static TcpCommentFormatter Default { get; } = new();

    /// <summary>When set, a comment on every TCP frame: the segment in a notation of the caller's choosing (null for
    /// none on that frame).</summary>
    public Func<CapturedFrame, TcpView, string?>? Segment { get; init; }

    /// <summary>"retransmission of seq 1449..2897, first sent at 0.012345 s (frame 12)".</summary>
    public virtual string Retransmission(in TcpRetransmission r) =>
        string.Create(CultureInfo.InvariantCulture,
            $"retransmission of seq {r.RelativeStart}..{r.RelativeEnd}, first sent at {FrameDissector.FormatSeconds(r.FirstSent.Time)} s (frame {r.FirstSent.Number})");
}
