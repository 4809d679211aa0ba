using System.Text;
using Netstack.Harness.Packetdrill.Execution;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;

namespace Netstack.Harness.Packetdrill;

/// <summary>packetdrill's one-line notation for a TCP segment, both ways: <see cref="Format(TcpSegmentSpec)"/> prints a segment as a
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

    /// <summary>A recorded TCP segment in script notation, numbers relative to the ISNs the frame was stamped with
    /// (<see cref="CapturedFrame.TcpBases"/>): <c>P. 1:4(3) ack 1 win 8192 &lt;nop,nop,TS val 7 ecr 3&gt;</c>. SACK
    /// blocks count from the receiver's ISN, as its acks do; timestamps are printed as sent. A number whose ISN was
    /// never recorded is printed absolute and marked <c>!</c>. Null when the frame is not a TCP segment right behind an
    /// IPv4 or IPv6 header (as our stacks and the kernel send them; one behind IPv6 extension headers is not read). The one
    /// formatter failure reports, golden traces and pcapng comments use for TCP.</summary>
    public static string? Format(CapturedFrame frame) => Format(frame.Bytes, frame.TcpBases.Own, frame.TcpBases.Peer);

    /// <summary>As <see cref="Format(CapturedFrame)"/>, for a frame's bytes and the ISNs to count from.</summary>
    public static string? Format(byte[] frame, uint? ownIsn, uint? peerIsn)
    {
        var ip = SentIpPacket.Read(frame);
        if (!ip.IsValid || ip.Protocol != SegmentCodec.ProtocolTcp) return null;
        // A later IPv4 fragment carries no TCP header (an IPv6 fragment has next header 44, so it never gets here).
        if (!ip.IsIpv6 && ((ip.Packet[6] & 0x1F) != 0 || ip.Packet[7] != 0)) return null;
        var segmentBytes = ip.Payload;
        if (SegmentCodec.ReadTcp(segmentBytes) is not { } tcp) return null;
        var flags = SegmentCodec.Flags(tcp.Flags);
        uint start = tcp.Sequence - (ownIsn ?? 0);
        var text = new StringBuilder(64);
        text.Append(flags.ToString()).Append(' ')
            .Append(start).Append(':').Append(unchecked(start + (uint)tcp.PayloadLength)).Append('(').Append(tcp.PayloadLength).Append(')');
        if (ownIsn is null) text.Append('!');
        if (flags.Ack)
        {
            text.Append(" ack ").Append(tcp.Acknowledgment - (peerIsn ?? 0));
            if (peerIsn is null) text.Append('!');
        }
        text.Append(" win ").Append(tcp.Window);
        if (flags.Urg) text.Append(" urg ").Append(System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(segmentBytes[18..]));
        if (tcp.Options.Count > 0)
        {
            var items = tcp.Options.Select(o => o is SackOption sack && peerIsn is uint peer
                ? new SackOption(sack.Blocks.Select(b => new SackBlockSpec(b.Left - peer, b.Right - peer)).ToList())
                : o);
            text.Append(" <").Append(string.Join(",", items)).Append('>');
        }
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
