using FluentAssertions;
using Netstack.Harness.Packetdrill;
using Netstack.Harness.Scenarios;
using NUnit.Framework;

namespace Netstack.Tests.Packetdrill;

/// <summary>Our own scripts parse into the AST the runner will execute: each construct of the language, checked by
/// the values it must produce.</summary>
public class PacketdrillParserTests
{
    [Test]
    public void Header_options_are_recorded_in_order_unknown_ones_marked()
    {
        var script = PacketdrillScripts.Parse("passive-open-echo.pkt");

        script.Options.Select(o => o.ToString()).Should().Equal("--tolerance_usecs=10000", "--ip_version=ipv4",
            "--local_ip=192.0.2.1", "--remote_ip=192.0.2.2", "--mss=1460", "--our_own_flag=yes");
        script.Option("our_own_flag")!.Known.Should().BeFalse();
        script.Option("tolerance_usecs")!.Known.Should().BeTrue();
        script.Option("mss")!.Location.Should().Be(new SourceLocation(PacketdrillScripts.Path("passive-open-echo.pkt"), 8, 1));
    }

    [Test]
    public void Untimed_first_and_last_shell_commands_are_the_init_and_cleanup_commands()
    {
        var script = PacketdrillScripts.Parse("passive-open-echo.pkt");

        script.InitCommand!.Command.Should().Be("echo init");
        script.CleanupCommand!.Command.Should().Be("echo cleanup");
        script.Events.Select(e => e.Action).OfType<ShellCommand>().Should().BeEmpty();
    }

    [Test]
    public void Times_are_absolute_relative_any_or_ranges_in_microseconds()
    {
        var script = PacketdrillScripts.Parse("active-open-nonblocking.pkt");
        var times = script.Events.Select(e => e.Time).ToList();

        times[0].Should().Be(new EventTime(EventTimeKind.Absolute, 0, null, times[0].Location));
        times[5].Kind.Should().Be(EventTimeKind.Any);
        times[6].Should().BeEquivalentTo(new { Kind = EventTimeKind.Relative, Micros = 50_000L });
        var absoluteRange = times.Single(t => t.Kind == EventTimeKind.AbsoluteRange);
        (absoluteRange.Micros, absoluteRange.EndMicros).Should().Be((100_000L, 300_000L));
        var relativeRange = times.Single(t => t.Kind == EventTimeKind.RelativeRange);
        (relativeRange.Micros, relativeRange.EndMicros).Should().Be((10_000L, 400_000L));
        relativeRange.ToString().Should().Be("+0.01~+0.4");
        PacketdrillScripts.Parse("passive-open-echo.pkt").Events[6].Time.Micros.Should().Be(20_000, "'+.02' is 20 ms");
    }

    [Test]
    public void Every_node_carries_file_line_and_column()
    {
        var script = PacketdrillScripts.Parse("passive-open-echo.pkt");
        var syn = script.Events.First(e => e.Action is TcpPacketLine);

        syn.Location.Line.Should().Be(18);
        syn.Location.Column.Should().Be(1);
        syn.Action.Location.Should().Be(syn.Location with { Column = 7 });
        ((TcpPacketLine)syn.Action).Segment.Location.Column.Should().Be(9);
        ((TcpPacketLine)syn.Action).Segment.Options.Items.Select(o => o.Location.Column).Should().Equal(29, 38, 45, 62, 66);
        var accept = script.Events.Select(e => e.Action).OfType<SyscallLine>().First(c => c.Name == "accept");
        accept.Location.Line.Should().Be(21);
        accept.Arguments[1].Location.Column.Should().Be(17);
    }

    [Test]
    public void Inbound_syn_carries_its_options_in_order()
    {
        var syn = PacketdrillScripts.Parse("passive-open-echo.pkt").Action<TcpPacketLine>(4);

        syn.Direction.Should().Be(PacketDirection.Inbound);
        syn.Segment.Flags.Should().Be(TcpFlagSet.None with { Syn = true });
        (syn.Segment.Start, syn.Segment.End, syn.Segment.Length).Should().Be((0u, 0u, 0));
        syn.Segment.Window.Should().Be(29200);
        syn.Segment.Ack.Should().BeNull();
        syn.Segment.Options.Items.Should().Equal(new MssOption(1460), new SackPermittedOption(),
            new TimestampOption(500, 0), new NopOption(), new WindowScaleOption(7));
    }

    [Test]
    public void Outbound_lines_keep_wildcards_any_timestamp_value_and_any_options()
    {
        var script = PacketdrillScripts.Parse("passive-open-echo.pkt");
        var synAck = script.Action<TcpPacketLine>(5);
        var ackOfData = script.Events.Select(e => e.Action).OfType<TcpPacketLine>()
            .First(p => p.Direction == PacketDirection.Outbound && p.Segment.Ack == 11);

        synAck.Direction.Should().Be(PacketDirection.Outbound);
        synAck.Segment.Flags.ToString().Should().Be("S.");
        synAck.Segment.Options.Items.OfType<TimestampOption>().Single().Should().Be(new TimestampOption(null, 500));
        ackOfData.Segment.Options.Should().Be(TcpOptionList.Any);
        ackOfData.Segment.Window.Should().BeNull("no 'win' was written, so it is not checked");

        var client = PacketdrillScripts.Parse("active-open-nonblocking.pkt");
        client.Action<TcpPacketLine>(5).Segment.Options.Items.Should().Equal(new MssOption(1460), new AnyOptionsWildcard());
    }

    [Test]
    public void Sack_blocks_ecn_flags_and_ip_fields_are_read()
    {
        var script = PacketdrillScripts.Parse("active-open-nonblocking.pkt");
        var packets = script.Events.Select(e => e.Action).OfType<TcpPacketLine>().ToList();

        var synAck = packets.Single(p => p.Segment.Flags.Syn && p.Segment.Flags.Ack);
        synAck.Segment.Flags.Should().Be(new TcpFlagSet(Fin: false, Syn: true, Rst: false, Psh: false, Urg: false, Ece: true, Cwr: false, Ack: true));
        synAck.Ip.Should().Be(new IpModifiers("ect0", null, null, null));
        synAck.Ip!.Location.Column.Should().Be(9);
        packets.Single(p => p.Segment.Options.Items.Any(o => o is SackOption)).Segment.Options.Items[0]
            .Should().Be(new SackOption([new SackBlockSpec(2801, 3001)]));
        packets.Single(p => p.Ip?.Ttl is not null).Ip.Should().Be(new IpModifiers(null, 0, 63, null));
        packets.Single(p => p.Segment.Flags.Rst).Segment.Flags.ToString().Should().Be("R");
    }

    [Test]
    public void System_calls_keep_arguments_results_errnos_and_notes()
    {
        var calls = PacketdrillScripts.Parse("active-open-nonblocking.pkt").Events.Select(e => e.Action).OfType<SyscallLine>().ToList();

        var getfl = calls[1];
        getfl.Result.Should().BeEquivalentTo(new { Value = 2L, Hex = true });
        getfl.Note.Should().Be("flags O_RDWR");
        getfl.Errno.Should().BeNull();
        calls[2].Arguments[2].Should().BeOfType<BitOrExpr>().Which.ToString().Should().Be("O_RDWR|O_NONBLOCK");
        var connect = calls.Single(c => c.Name == "connect");
        connect.Arguments[0].Should().BeOfType<IntegerExpr>().Which.Value.Should().Be(3);
        connect.Arguments.Skip(1).Should().AllBeOfType<EllipsisExpr>();
        connect.Result.Should().BeEquivalentTo(new { Value = -1L });
        connect.Errno.Should().Be("EINPROGRESS");
        connect.Note.Should().Be("Operation now in progress");
        calls.Single(c => c.Name == "send").Arguments[1].Should().Be(new StringExpr("abc", false, calls.Single(c => c.Name == "send").Arguments[1].Location));
        calls.Single(c => c.Name == "recv").Arguments[3].ToString().Should().Be("MSG_PEEK");
        calls.Last().Errno.Should().Be("EBADF");
    }

    [Test]
    public void Blocking_call_end_time_is_read_after_the_ellipsis()
    {
        var read = PacketdrillScripts.Parse("active-open-nonblocking.pkt").Events.Select(e => e.Action).OfType<SyscallLine>()
            .Single(c => c.Name == "read");

        read.EndMicros.Should().Be(50_000);
        read.Errno.Should().Be("EAGAIN");
    }

    [Test]
    public void Structs_arrays_and_calls_nest()
    {
        var calls = PacketdrillScripts.Parse("passive-open-echo.pkt").Events.Select(e => e.Action).OfType<SyscallLine>().ToList();
        var info = calls.Single(c => c.Name == "getsockopt");
        var poll = PacketdrillScripts.Parse("active-open-nonblocking.pkt").Events.Select(e => e.Action).OfType<SyscallLine>().Single(c => c.Name == "poll");
        var bind = PacketdrillScripts.Parse("datagram-and-icmp.pkt").Events.Select(e => e.Action).OfType<SyscallLine>().Single(c => c.Name == "bind");

        var fields = info.Arguments[3].Should().BeOfType<StructExpr>().Subject;
        fields.Field("tcpi_state").Should().BeOfType<WordExpr>().Which.Name.Should().Be("TCP_ESTABLISHED");
        fields.Field("tcpi_snd_mss").Should().BeOfType<IntegerExpr>().Which.Value.Should().Be(1448);
        info.Arguments[4].Should().BeOfType<ArrayExpr>().Which.Items.Single().ToString().Should().Be("104");
        var pollfd = poll.Arguments[0].Should().BeOfType<ArrayExpr>().Which.Items.Single().Should().BeOfType<StructExpr>().Subject;
        pollfd.Field("fd")!.ToString().Should().Be("3");
        pollfd.Field("revents")!.ToString().Should().Be("POLLOUT");
        var address = bind.Arguments[1].Should().BeOfType<StructExpr>().Subject;
        address.Field("sin_port").Should().BeOfType<CallExpr>().Which.ToString().Should().Be("htons(5001)");
        address.Field("sin_addr").Should().BeOfType<CallExpr>().Which.Arguments.Single().Should().BeOfType<StringExpr>()
            .Which.Value.Should().Be("192.0.2.1");
    }

    [Test]
    public void Python_blocks_are_kept_as_nodes()
    {
        var block = PacketdrillScripts.Parse("passive-open-echo.pkt").Events.Select(e => e.Action).OfType<PythonBlock>().Single();

        block.Code.Should().Be("assert tcpi_unacked == 1, tcpi_unacked");
        block.Location.Line.Should().Be(29);
    }

    [Test]
    public void Udp_and_icmp_lines_including_quoted_segments()
    {
        var packets = PacketdrillScripts.Parse("datagram-and-icmp.pkt").Events.Select(e => e.Action).OfType<PacketLine>().ToList();

        packets[0].Should().BeOfType<UdpPacketLine>().Which.PayloadLength.Should().Be(100);
        packets[1].Should().BeOfType<UdpPacketLine>().Which.Direction.Should().Be(PacketDirection.Outbound);
        var portUnreachable = packets[2].Should().BeOfType<IcmpPacketLine>().Subject;
        (portUnreachable.Type, portUnreachable.Code).Should().Be(("unreachable", "port_unreachable"));
        portUnreachable.Quoted!.Protocol.Should().Be(QuotedProtocol.Udp);
        packets[3].Should().BeOfType<IcmpPacketLine>().Which.EchoId.Should().Be(7);
        var fragNeeded = packets.OfType<IcmpPacketLine>().Single(p => p.Mtu is not null);
        (fragNeeded.Code, fragNeeded.Mtu).Should().Be(("frag_needed", 576));
        fragNeeded.Quoted.Should().BeEquivalentTo(new { Protocol = QuotedProtocol.Tcp, Start = 0u, End = 0u, Length = 0 });
        var timeExceeded = packets.OfType<IcmpPacketLine>().Single(p => p.Type == "time_exceeded");
        timeExceeded.Code.Should().BeNull();
        (timeExceeded.Quoted!.Start, timeExceeded.Quoted.End).Should().Be((1u, 1u));
        packets.OfType<IcmpPacketLine>().Last().Quoted.Should().BeEquivalentTo(new { Start = uint.MaxValue, End = 0u, Length = 1 },
            "sequence space wraps: 4294967295:0 holds one byte");
    }

    [Test]
    public void Nplab_extensions_parse()
    {
        var result = PacketdrillScripts.ParseText("""
            --ip_version=ipv4
            0 < (tos 0x28, ttl 3) S 1000:1000(0)! win 100 <TS val 7 ecr 9!>
            +0 > (hlim 4) S. 0:0(0) ack 1001 <TS val ... ecr 7>/udp(9811 > 1)
            +0 < F  . 1:1(0) ack 1 win 10
            """);

        result.Errors.Should().BeEmpty();
        var packets = result.Script.Events.Select(e => (TcpPacketLine)e.Action).ToList();
        packets[0].Ip.Should().Be(new IpModifiers(null, 0x28, 3, null));
        packets[0].Segment.AbsoluteSequence.Should().BeTrue();
        packets[0].Segment.Options.Items.Single().Should().Be(new TimestampOption(7, 9, EchoAbsolute: true));
        packets[1].UdpEncapsulation.Should().Be(new PortPair(9811, 1));
        packets[1].Segment.Options.Items.Single().Should().Be(new TimestampOption(null, 7));
        packets[2].Segment.Flags.ToString().Should().Be("F.", "packetdrill allows space between the letters and the ACK dot");
    }

    [Test]
    public void Ifdef_blocks_follow_the_callers_defines()
    {
        const string text = """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            #ifdef Linux
            +0 close(3) = 0
            #else
            +0 close(3) = -1 EBADF (Bad file descriptor)
            #endif
            """;

        var linux = PacketdrillParser.Parse("t.pkt", text, new HashSet<string> { "Linux" });
        var other = PacketdrillParser.Parse("t.pkt", text);

        linux.Script.Events.Should().HaveCount(2);
        ((SyscallLine)linux.Script.Events[1].Action).Errno.Should().BeNull();
        linux.Script.Events[1].Location.Line.Should().Be(3, "blanked lines keep the numbering");
        ((SyscallLine)other.Script.Events[1].Action).Errno.Should().Be("EBADF");
        other.Script.Events[1].Location.Line.Should().Be(5);
    }

    [Test]
    public void Ports_urgent_pointer_and_flagless_segments()
    {
        var result = PacketdrillScripts.ParseText("""
            0 < 8080>80 - 0:0(0) win 10
            +0 < PU. 1:2(1) ack 1 win 10 urg 1
            """);

        result.Errors.Should().BeEmpty();
        var first = (TcpPacketLine)result.Script.Events[0].Action;
        first.Ports.Should().Be(new PortPair(8080, 80));
        first.Segment.Flags.Should().Be(TcpFlagSet.None);
        ((TcpPacketLine)result.Script.Events[1].Action).Segment.Urgent.Should().Be(1);
    }

    [Test]
    public void Comments_of_both_kinds_vanish_wherever_they_are()
    {
        var result = PacketdrillScripts.ParseText("""
            // a line comment
            0 socket(..., /* inline */ SOCK_STREAM, IPPROTO_TCP) = 3 // trailing
            /* a block
               over lines */ +0 close(3) = 0
            """);

        result.Errors.Should().BeEmpty();
        result.Script.Events.Should().HaveCount(2);
        result.Script.Events[1].Location.Should().Be(new SourceLocation("t.pkt", 4, 18));
    }

    [Test]
    public void Strings_concatenate_and_may_end_with_an_ellipsis()
    {
        var result = PacketdrillScripts.ParseText("0 write(4, \"ab\" \"cd\"..., 4) = 4");

        result.Errors.Should().BeEmpty();
        var argument = ((SyscallLine)result.Script.Events[0].Action).Arguments[1];
        argument.Should().BeOfType<StringExpr>().Which.Should().BeEquivalentTo(new { Value = "abcd", Prefix = true });
    }

    [Test]
    public void Struct_ellipsis_errno_notes_and_multi_line_calls()
    {
        var result = PacketdrillScripts.ParseText("""
            0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_SYN_SENT, ...},
                         [104]) = 0
            +3 connect(4, ..., ...) = -1 ETIMEDOUT (Connection timed out)
            +0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
            """);

        result.Errors.Should().BeEmpty();
        var calls = result.Script.Events.Select(e => (SyscallLine)e.Action).ToList();
        var info = (StructExpr)calls[0].Arguments[3];
        info.Items[1].Should().BeOfType<EllipsisExpr>();
        calls[0].Arguments.Should().HaveCount(5);
        (calls[1].Errno, calls[1].Note).Should().Be(("ETIMEDOUT", "Connection timed out"));
        calls[1].Location.Line.Should().Be(3);
        ((StructExpr)calls[2].Arguments[3]).Field("linger")!.ToString().Should().Be("0");
    }

    [Test]
    public void A_multi_line_shell_command_is_one_event()
    {
        var good = PacketdrillScripts.ParseText("0 `echo one\necho two`\n+0 close(3) = -1 EBADF");
        var twoOnOneLine = PacketdrillScripts.ParseText("0 `echo one\necho two` +0 close(3) = -1 EBADF");

        good.Errors.Should().BeEmpty();
        ((ShellCommand)good.Script.Events[0].Action).Command.Should().Be("echo one\necho two");
        good.Script.Events[1].Location.Line.Should().Be(3);
        twoOnOneLine.Errors.Select(e => e.ToString()).Should()
            .Equal("t.pkt:2:11: unexpected '+' after the event; one event per line");
    }
}
