using FluentAssertions;
using Netstack.Harness.Packetdrill;
using Netstack.Harness.Packetdrill.Execution;
using Netstack.Harness.Scenarios;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Packetdrill;

/// <summary>Fast Open options as the runner injects and reads them next to the kernel: RFC 7413's kind 34, the
/// experimental kind 254 with magic 0xF989, and cookies written as run_all.py's TFO_COOKIE.</summary>
public class FastOpenOptionCodecTests
{
    private static readonly Ipv4Address Local = Ipv4Address.Parse("192.168.0.1"), Remote = Ipv4Address.Parse("192.0.2.1");

    [Test]
    public void Fo_and_foexp_are_written_with_their_kinds_and_cookies()
    {
        SegmentCodec.Options([new FastOpenOption("abcd1234", false)], x => x, x => x)
            .Should().Equal(34, 6, 0xab, 0xcd, 0x12, 0x34);
        SegmentCodec.Options([new FastOpenOption("", false)], x => x, x => x).Should().Equal(34, 2);
        SegmentCodec.Options([new FastOpenOption("TFO_COOKIE", true)], x => x, x => x)
            .Should().Equal(254, 12, 0xF9, 0x89, 0x30, 0x21, 0xb9, 0xd8, 0x89, 0x01, 0x7e, 0xeb);
    }

    [Test]
    public void A_cookie_the_kernel_sends_is_read_back_and_matches_the_name_run_all_defines()
    {
        var options = SegmentCodec.Options([new MssOption(1460), new FastOpenOption("3021B9D889017EEB", false), new NopOption(), new NopOption()], x => x, x => x);
        var live = SegmentCodec.ReadTcp(SegmentCodec.Tcp(Local, Remote, 8080, 40000, 1000, 0, 0x12, 65535, options, 0))!;

        live.Options.Should().Equal(new MssOption(1460), new FastOpenOption("3021b9d889017eeb", false), new NopOption(), new NopOption());
        var at = new SourceLocation("t.pkt", 1, 1);
        var written = SegmentNotation.Parse("S. 0:0(0) <mss 1460,FO TFO_COOKIE,nop,nop>", at);
        SegmentMatcher.Mismatch(written, live, new ConnectionNumbering()).Should().BeNull();
        var other = SegmentNotation.Parse("S. 0:0(0) <mss 1460,FO abcd1234,nop,nop>", at);
        SegmentMatcher.Mismatch(other, live, new ConnectionNumbering()).Should().Contain("options");
    }
}
