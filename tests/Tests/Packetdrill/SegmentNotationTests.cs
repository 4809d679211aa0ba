using FluentAssertions;
using Netstack.Harness.Packetdrill;
using Netstack.Harness.Packetdrill.Execution;
using Netstack.Harness.Trace;
using Netstack.Wire;
using Netstack.Harness.Scenarios;
using NUnit.Framework;

namespace Netstack.Tests.Packetdrill;

/// <summary>The one-segment notation both ways: Format prints what a script would write, Parse reads it back alone
/// (as a YAML <c>tcp:</c> value will), and the two round-trip.</summary>
public class SegmentNotationTests
{
    private static readonly SourceLocation Origin = new("s.yaml", 12, 18);

    [TestCase("S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>")]
    [TestCase("P. 1:4(3) ack 1 win 8192")]
    [TestCase("S 0:0(0) win 65535 <mss 1460,...>")]
    [TestCase(". 1:1(0) ack 1001 <...>")]
    [TestCase(". 1:1(0) ack 1 win 257 <sack 2001:3001 6001:7001,nop,nop>")]
    [TestCase("F. 11:11(0) ack 12 <nop,nop,TS val * ecr 540>")]
    [TestCase("R 1:1(0) win 0")]
    [TestCase("SEW 0:0(0) win 100 <eol>")]
    [TestCase("PU. 1:2(1) ack 1 win 10 urg 1")]
    [TestCase("- 0:0(0) win 10")]
    [TestCase("FP. 4294967295:9(10) ack 1")]
    [TestCase("SF 0:3(3) win 32767 <mss 1440,sackOK,eol,eol>")]
    [TestCase("S 1000:1000(0)! win 1 <TS val 1 ecr 2!>")]
    [TestCase("S 0:0(0) <md5 abc,FO 0123abcd,FOEXP>")]
    public void Formats_back_to_the_same_text(string text)
    {
        var segment = SegmentNotation.Parse(text, Origin);

        SegmentNotation.Format(segment).Should().Be(text);
        SegmentNotation.Parse(SegmentNotation.Format(segment), Origin).Should().Be(segment);
    }

    [TestCase("192.0.2.1", "192.0.2.2")]
    [TestCase("2001:db8::1", "2001:db8::2")]
    public void A_recorded_frame_formats_relative_to_its_isns_over_either_ip_version(string from, string to)
    {
        var (source, destination) = (IpAddress.FromSystem(System.Net.IPAddress.Parse(from)),
            IpAddress.FromSystem(System.Net.IPAddress.Parse(to)));
        var tcp = SegmentCodec.Tcp(source, destination, 40000, 80, 1000 + 1, 5000 + 4, 0x18 | 0x20, 8192,
            [1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 3], payloadLength: 3);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(18), 2); // urgent pointer
        byte[] frame = source.IsIpv4
            ? FrameBuilder.Ethernet(default, default, FrameBuilder.EtherTypeIpv4,
                FrameBuilder.Ipv4(new FrameBuilder.Ipv4Fields(source.Ipv4, destination.Ipv4, SegmentCodec.ProtocolTcp), tcp))
            : FrameBuilder.Ethernet(default, default, Ipv6FrameBuilder.EtherTypeIpv6,
                Ipv6FrameBuilder.Packet(source.Ipv6, destination.Ipv6, SegmentCodec.ProtocolTcp, 64, tcp));

        SegmentNotation.Format(frame, 1000, 5000).Should().Be("PU. 1:4(3) ack 4 win 8192 urg 2 <nop,nop,TS val 7 ecr 3>");
        SegmentNotation.Format(frame, null, null).Should().Be("PU. 1001:1004(3)! ack 5004! win 8192 urg 2 <nop,nop,TS val 7 ecr 3>");
    }

    [Test]
    public void Formats_a_segment_built_from_values()
    {
        var segment = new TcpSegmentSpec(TcpFlagSet.None with { Syn = true, Ack = true }, 0, 0, 0, 1, 65535, null,
            new TcpOptionList(false, true, [new MssOption(1460), new SackPermittedOption(), new TimestampOption(100, 0),
                new NopOption(), new WindowScaleOption(7)]), Origin);

        segment.ToString().Should().Be("S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");
    }

    [Test]
    public void Extra_whitespace_does_not_change_the_segment()
    {
        SegmentNotation.Parse("P.   1:4(3)  ack 1\twin 8192", Origin)
            .Should().Be(SegmentNotation.Parse("P. 1:4(3) ack 1 win 8192", Origin));
    }

    [Test]
    public void Reads_the_value_fields()
    {
        var segment = SegmentNotation.Parse("P. 1:4(3) ack 1 win 8192", Origin);

        segment.Flags.Should().Be(TcpFlagSet.None with { Psh = true, Ack = true });
        (segment.Start, segment.End, segment.Length, segment.Ack, segment.Window).Should().Be((1u, 4u, 3, 1u, 8192));
        segment.Options.Should().Be(TcpOptionList.Absent);
        segment.Location.Should().Be(Origin);
    }

    [TestCase("P. 1:4(3) ack", "s.yaml:12:31: expected acknowledgment number (a number), found end of line")]
    [TestCase("P. 1:4(2)", "s.yaml:12:21: payload length 2 does not match 1:4 (end - start = 3)")]
    [TestCase("Z 0:0(0)", "s.yaml:12:18: 'Z' in 'Z' is not a TCP flag; flags are F S R P U E W, '.' for ACK, '-' for none")]
    [TestCase("S 0:0(0) win 1 <mss 1460", "s.yaml:12:42: expected ',' between TCP options (or '>' to end the list), found end of line")]
    [TestCase("S 0:0(0) extra", "s.yaml:12:27: unexpected 'extra' after the segment")]
    [TestCase("   ", "s.yaml:12:18: expected a TCP segment such as 'P. 1:4(3) ack 1 win 8192', found nothing")]
    [TestCase("S 0:0(0) /* open", "s.yaml:12:27: unterminated /* comment: no closing */ before the end of the file")]
    public void Errors_point_into_the_text_where_it_sits_in_its_file(string text, string error)
    {
        var parse = () => SegmentNotation.Parse(text, Origin);

        parse.Should().Throw<ScenarioFormatException>().Which.Message.Should().Be(error);
    }
}
