using System.Text;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Packetdrill;

/// <summary>packetdrill's one-line notation for a TCP segment, both ways: <see cref="Format"/> prints a segment as a
/// script would write it (<c>S. 0:0(0) ack 1 win 65535 &lt;mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7&gt;</c>),
/// <see cref="Parse"/> reads the same text alone, e.g. a YAML <c>tcp:</c> value. Format then Parse gives back the
/// same segment.</summary>
public static class SegmentNotation
{
    public static string Format(TcpSegmentSpec segment)
    {
        var text = new StringBuilder(64);
        text.Append(segment.Flags.ToString()).Append(' ')
            .Append(segment.Start).Append(':').Append(segment.End).Append('(').Append(segment.Length).Append(')');
        if (segment.AbsoluteSequence) text.Append('!');
        if (segment.Ack is uint ack) text.Append(" ack ").Append(ack);
        if (segment.Window is int window) text.Append(" win ").Append(window);
        if (segment.Urgent is int urgent) text.Append(" urg ").Append(urgent);
        if (segment.Options.Written) text.Append(' ').Append(segment.Options.ToString());
        return text.ToString();
    }

    /// <summary>Reads one segment; <paramref name="origin"/> is where <paramref name="text"/> starts in its file, so
    /// an error reads <c>scenario.yaml:12:18: ...</c> pointing at the offending character.</summary>
    public static TcpSegmentSpec Parse(string text, SourceLocation origin)
    {
        var errors = new List<PacketdrillDiagnostic>();
        var segment = TryParse(text, origin, errors);
        if (segment is null) throw new ScenarioFormatException(errors[0].Location, errors[0].Message);
        return segment;
    }

    public static TcpSegmentSpec? TryParse(string text, SourceLocation origin, List<PacketdrillDiagnostic> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            errors.Add(new PacketdrillDiagnostic(origin, "expected a TCP segment such as 'P. 1:4(3) ack 1 win 8192', found nothing"));
            return null;
        }
        return PacketdrillParser.ParseSegment(text, origin, errors);
    }
}
