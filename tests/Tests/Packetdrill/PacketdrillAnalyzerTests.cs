using FluentAssertions;
using Netstack.Harness.Packetdrill;
using NUnit.Framework;

namespace Netstack.Tests.Packetdrill;

/// <summary>The semantic pass: packetdrill's timing rules, fd tracking and what our stack can run, without running.</summary>
public class PacketdrillAnalyzerTests
{
    private static ScriptAnalysis Analyze(string text)
    {
        var result = PacketdrillScripts.ParseText(text);
        result.Errors.Should().BeEmpty();
        return PacketdrillAnalyzer.Analyze(result.Script);
    }

    [Test]
    public void Relative_times_add_up_and_anchor_as_packetdrill_does()
    {
        var analysis = Analyze("""
            0.5 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0.1 < S 0:0(0) win 100
            +0.2 < . 1:1(0) ack 1 win 100
            +0.05 > . 1:1(0) ack 1
            * > . 1:1(0) ack 1
            +0.01~+0.02 > . 1:1(0) ack 1
            2 close(3) = 0
            """);

        analysis.Events.Select(e => e.ScriptMicros).Should().Equal(500_000, 600_000, 800_000, 850_000, 850_000, 860_000, 2_000_000);
        analysis.Events[5].ScriptEndMicros.Should().Be(870_000);
        analysis.Events.Select(e => e.Anchor).Should().Equal(TimeAnchor.Absolute, TimeAnchor.PreviousActualTime,
            TimeAnchor.PreviousScriptTime, TimeAnchor.PreviousActualTime, TimeAnchor.Any, TimeAnchor.PreviousActualTime,
            TimeAnchor.Absolute);
    }

    [Test]
    public void Tolerance_comes_from_the_header_or_packetdrills_defaults()
    {
        Analyze("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3").ToleranceMicros.Should().Be(4000);
        var analysis = Analyze("--tolerance_usecs=25000\n--tolerance_percent=5\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3");
        (analysis.ToleranceMicros, analysis.TolerancePercent).Should().Be((25000L, 5.0));
        var bad = PacketdrillAnalyzer.Analyze(PacketdrillScripts.ParseText("--tolerance_usecs=soon\n0 close(3) = -1 EBADF").Script);
        bad.Errors.Select(e => e.ToString()).Should().Contain("t.pkt:1:1: --tolerance_usecs needs a positive number, not 'soon'");
    }

    [Test]
    public void Any_time_and_ranges_are_only_for_outbound_packets()
    {
        var analysis = PacketdrillAnalyzer.Analyze(PacketdrillScripts.ParseText("""
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            * < S 0:0(0) win 100
            0.1~0.3 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
            0.5~0.4 > S 0:0(0) <...>
            0.5 ...0.1 read(3, ..., 10) = 10
            """).Script);

        analysis.Errors.Select(e => e.ToString()).Should().Equal(
            "t.pkt:2:1: time * can only be used with outbound packets (> lines)",
            "t.pkt:3:1: a time range can only be used with outbound packets (> lines)",
            "t.pkt:4:1: time range 0.5~0.4 is backwards",
            "t.pkt:5:12: the blocking call ends at 0.1 s, before it starts (0.5 s)");
    }

    [Test]
    public void Fds_are_followed_from_socket_through_listen_accept_and_close()
    {
        var analysis = PacketdrillAnalyzer.Analyze(PacketdrillScripts.Parse("passive-open-echo.pkt"));

        analysis.Errors.Should().BeEmpty();
        analysis.Listeners.Single().Fd.Should().Be(3);
        var accepted = analysis.Accepted.Single();
        (accepted.Fd, accepted.ListenerFd, accepted.SocketType).Should().Be((4, 3, "SOCK_STREAM"));
        analysis.Fds.Should().OnlyContain(f => f.ClosedAt != null, "the script closes both");
        var client = PacketdrillAnalyzer.Analyze(PacketdrillScripts.Parse("active-open-nonblocking.pkt"));
        client.Fds.Single().Role.Should().Be(FdRole.Connecting);
        client.Errors.Should().BeEmpty("close(3) = -1 EBADF after close(3) expects the failure");
    }

    [Test]
    public void Calls_on_fds_the_script_never_opened_are_errors()
    {
        var analysis = PacketdrillAnalyzer.Analyze(PacketdrillScripts.ParseText("""
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0 accept(3, ..., ...) = 4
            +0 write(7, ..., 10) = 10
            +0 write(8, ..., 10) = -1 EBADF (Bad file descriptor)
            """).Script);

        analysis.Errors.Select(e => e.ToString()).Should().Equal(
            "t.pkt:2:4: accept() on fd 3, which is not listening (no listen() before)",
            "t.pkt:3:4: write() on fd 7, which the script has not opened (no socket() or accept() returned it)");
    }

    [Test]
    public void Our_scripts_run_on_our_stack_except_their_kernel_only_and_skipped_lines()
    {
        foreach (var name in new[] { "passive-open-echo.pkt", "active-open-nonblocking.pkt", "datagram-and-icmp.pkt" })
        {
            var analysis = PacketdrillAnalyzer.Analyze(PacketdrillScripts.Parse(name));
            analysis.Unsupported.Where(u => !u.Reason.Contains("our_own_flag")).Should().BeEmpty(name);
        }
        var echo = PacketdrillAnalyzer.Analyze(PacketdrillScripts.Parse("passive-open-echo.pkt"));
        echo.Events.Single(e => e.Event.Action is PythonBlock).Support.Level.Should().Be(SupportLevel.Skipped);
        echo.Options.Single(o => o.Option.Name == "our_own_flag").Support.Reason.Should().Be("--our_own_flag is not a packetdrill option");
        echo.RunnableOnStack.Should().BeFalse("an unknown header flag is refused, not ignored");
    }

    [TestCase("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, IPPROTO_TCP, TCP_FASTOPEN, [1], 4) = 0", "socket option TCP_FASTOPEN is not modelled")]
    [TestCase("0 socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP) = 3", "socket domain AF_INET6 under --ip_version=ipv4: the script's sockets are AF_INET (write ... to take the script's)")]
    [TestCase("--ip_version=ipv6\n0 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3", "socket domain AF_INET under --ip_version=ipv6: the script's sockets are AF_INET6 (write ... to take the script's)")]
    [TestCase("0 socket(AF_UNIX, SOCK_STREAM, 0) = 3", "socket domain AF_UNIX is not modelled (AF_INET and AF_INET6 are)")]
    [TestCase("0 epoll_create(1) = 3", "system call epoll_create() is not modelled")]
    [TestCase("0 > SEW 0:0(0) <...>", "expects ECE/CWR (SEW) from our stack, which does not negotiate ECN (RFC 3168)")]
    [TestCase("0 > [ect0] . 1:1(0) ack 1", "expects ECN codepoint ect0 on an outgoing packet: our stack does not set ECN (RFC 3168)")]
    [TestCase("0 < S 0:0(0) win 10 <FO 1234>", "TCP Fast Open is not implemented by our stack (the kernel runs it: --wire tap)")]
    [TestCase("0 < S 0:0(0) win 10 <md5 abcd>", "TCP MD5 signatures (RFC 2385) are not implemented")]
    [TestCase("0 < icmp packet_too_big mtu 1280", "ICMP type 'packet_too_big' is not an ICMPv4 message our runner builds")]
    [TestCase("--ip_version=ipv6\n0 < icmp source_quench", "ICMP type 'source_quench' is not an ICMPv6 message our runner builds")]
    [TestCase("0 < (flowlabel 0x12345) . 1:1(0) ack 1 win 10", "a flow label is an IPv6 field; the script's packets are IPv4 (--ip_version=ipv6 for IPv6)")]
    [TestCase("0 < S 0:0(0) win 10/udp(1 > 9811)", "TCP over UDP encapsulation is not implemented")]
    [TestCase("--ip_version=ipv7\n0 `true`", "--ip_version=ipv7 is not one of packetdrill's (ipv4, ipv4-mapped-ipv6, ipv6)")]
    [TestCase("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 getsockopt(3, SOL_TCP, TCP_INFO, {tcpi_state=1, tcpi_sacked=0}, [104]) = 0", "TCP_INFO field tcpi_sacked is not modelled")]
    [TestCase("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 send(3, ..., 10, MSG_EOR) = 10", "send() flag MSG_EOR is not modelled")]
    public void Unsupported_lines_name_the_reason(string text, string reason)
    {
        var analysis = Analyze(text);

        analysis.Unsupported.Select(u => u.Reason).Should().Equal(reason);
        analysis.RunnableOnStack.Should().BeFalse();
    }

    private static ScriptAnalysis AnalyzeOnKernel(string text)
    {
        var result = PacketdrillScripts.ParseText(text);
        result.Errors.Should().BeEmpty();
        return PacketdrillAnalyzer.Analyze(result.Script, onKernel: true);
    }

    // Refused on our stack (above), handed to the kernel on the tap wire.
    [TestCase("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, IPPROTO_TCP, TCP_FASTOPEN, [1], 4) = 0")]
    [TestCase("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_SOCKET, SO_SNDBUF, [21000], 4) = 0")]
    [TestCase("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_TCP, TCP_CONGESTION, \"reno\", 4) = 0")]
    [TestCase("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 getsockopt(3, SOL_TCP, TCP_MAXSEG, [536], [4]) = 0")]
    [TestCase("0 > SEW 0:0(0) <...>")]
    [TestCase("0 > [ect0] . 1:1(0) ack 1")]
    [TestCase("0 < S 0:0(0) win 10 <FO 1234>")]
    [TestCase("0 < S 0:0(0) win 10 <FOEXP TFO_COOKIE>")]
    [TestCase("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 getsockopt(3, SOL_TCP, TCP_INFO, {tcpi_state=1, tcpi_sacked=0}, [104]) = 0")]
    [TestCase("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 send(3, ..., 10, MSG_EOR) = 10")]
    [TestCase("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 sendto(3, ..., 10, MSG_FASTOPEN, ..., ...) = -1 EINPROGRESS")]
    public void The_kernel_runs_options_flags_and_fast_open_our_stack_refuses(string text)
    {
        Analyze(text).RunnableOnStack.Should().BeFalse();
        AnalyzeOnKernel(text).Unsupported.Should().BeEmpty();
    }

    [TestCase("0 socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP) = 3", "socket domain AF_INET6 under --ip_version=ipv4: the script's sockets are AF_INET (write ... to take the script's)")]
    [TestCase("0 epoll_create(1) = 3", "system call epoll_create() is not run on the kernel by our runner")]
    [TestCase("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_TCP, TCP_NO_SUCH_OPTION, [1], 4) = 0", "socket option TCP_NO_SUCH_OPTION is not known to the runner")]
    [TestCase("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 getsockopt(3, SOL_TCP, TCP_INFO, {tcpi_no_such=1}, [104]) = 0", "TCP_INFO field tcpi_no_such is not in Linux's struct tcp_info")]
    [TestCase("0 < S 0:0(0) win 10 <md5 abcd>", "TCP MD5 signatures (RFC 2385) are not implemented")]
    [TestCase("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 send(3, ..., 10, MSG_CONFIRM) = 10", "send() flag MSG_CONFIRM is not passed to the kernel by our runner")]
    public void What_the_runner_cannot_hand_to_the_kernel_is_still_refused(string text, string reason) =>
        AnalyzeOnKernel(text).Unsupported.Select(u => u.Reason).Should().Equal(reason);

    [Test]
    public void Shell_commands_are_kernel_only_and_inbound_ecn_is_fine()
    {
        var analysis = Analyze("0 `sysctl -q net.ipv4.tcp_ecn=1`\n+0 < [ect0] SEW 0:0(0) win 10 <...>");

        analysis.Events[0].Support.Level.Should().Be(SupportLevel.KernelOnly);
        analysis.Events[1].Support.Should().Be(LineSupport.Yes);
        analysis.RunnableOnStack.Should().BeTrue();
    }
}
