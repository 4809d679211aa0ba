using Netstack.Harness.Packetdrill;
using Netstack.Harness.Packetdrill.Execution;
using Netstack.Harness.Running;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Packetdrill;

/// <summary>Which connection a line is about, as packetdrill decides it: numbers after a SYN with a non-zero
/// script ISN, a fresh remote port for each passive open, segments of earlier connections passed over, the
/// connection an unquoted ICMP error is for, fds as names, and packetdrill's command line over the header.
/// All on our stack on the virtual wire.</summary>
public class PacketdrillConnectionTests
{
    private static ScenarioResult RunText(string text) => PacketdrillRunTests.RunText(text);

    private const string Listen = """
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        +0 bind(3, ..., ...) = 0
        +0 listen(3, 1) = 0

        """;

    private const string Handshake = Listen + """
        +0 < S 0:0(0) win 8192 <mss 1460>
        +0 > S. 0:0(0) ack 1 <mss 1460>
        +.01 < . 1:1(0) ack 1 win 8192
        +0 accept(3, ..., ...) = 4

        """;

    [Test]
    public void After_a_syn_ack_written_with_isn_1234_later_numbers_count_from_the_live_isn()
    {
        // packetdrill: the script's ISN moves the SYN's own number only; `ack 1` acks the live ISN + 1.
        var result = RunText(Handshake.Replace("> S. 0:0(0) ack 1", "> S. 1234:1234(0) ack 1") + """
            +0 < P. 1:11(10) ack 1 win 8192
            +0 read(4, ..., 100) = 10
            +0 write(4, ..., 5) = 5
            +0 > P. 1:6(5) ack 11

            """);
        Assert.That(result.Passed, Is.True, result.FailureMessage);
    }

    [Test]
    public void A_numbering_with_a_script_isn_maps_syns_by_the_difference_and_the_rest_from_the_live_isn()
    {
        var numbers = new ConnectionNumbering();
        numbers.LearnLocalIsn(live: 5000, script: 1234);
        Assert.That(numbers.LocalToLive(1234, syn: true), Is.EqualTo(5000u));
        Assert.That(numbers.LocalToLive(1), Is.EqualTo(5001u));
        Assert.That(numbers.LiveToLocal(5001), Is.EqualTo(1u));
        Assert.That(numbers.LiveToLocal(5000, syn: true), Is.EqualTo(1234u));
        Assert.That(numbers.SameSyn(5000, 1234), Is.True);
        Assert.That(numbers.SameSyn(7000, 1234), Is.False);
    }

    [Test]
    public void A_second_passive_open_comes_from_a_new_port_while_the_first_connection_stays_open()
    {
        // The accepted fd 4 is never closed; the second SYN must open a second connection (a SYN-ACK), not land in
        // the first one (which would answer with an ACK), and accept() = 4 names the new socket.
        var result = RunText(Handshake + "+0 close(3) = 0\n" + Listen.Replace("0 socket", "+.1 socket") + """
            +0 < S 0:0(0) win 8192 <mss 1460>
            +0 > S. 0:0(0) ack 1 <mss 1460>
            +.01 < . 1:1(0) ack 1 win 8192
            +0 accept(3, ..., ...) = 4
            +0 < P. 1:11(10) ack 1 win 8192
            +0 read(4, ..., 100) = 10
            +0 write(4, ..., 5) = 5
            +0 > P. 1:6(5) ack 11

            """);
        Assert.That(result.Passed, Is.True, result.FailureMessage);
        var synAckPorts = result.Recording.Frames.Select(f => f.Bytes).Where(b => b.Length > 47 && b[23] == 6 && b[47] == 0x12)
            .Select(b => (b[36] << 8) | b[37]).ToList();
        Assert.That(synAckPorts, Is.EqualTo(new[] { 40000, 40001 }), "the SYN-ACKs' destination ports");
    }

    [Test]
    public void A_segment_of_an_earlier_connection_is_passed_over_and_listed()
    {
        // The first connection's FIN is never acked: its retransmission goes out while the second one runs.
        var result = RunText(Handshake + """
            +0 close(4) = 0
            +0 > F. 1:1(0) ack 1
            +0 close(3) = 0

            """ + Listen.Replace("0 socket", "+.01 socket") + """
            +0 < S 0:0(0) win 8192 <mss 1460>
            +0 > S. 0:0(0) ack 1 <mss 1460>
            +.01 < . 1:1(0) ack 1 win 8192
            +0 accept(3, ..., ...) = 4
            +3 write(4, ..., 10) = 10
            +0 > P. 1:11(10) ack 1

            """);
        Assert.That(result.Passed, Is.True, result.FailureMessage);
        Assert.That(result.SkippedAssertions, Has.Some.Contains("an earlier connection").And.Contains("40000").And.Contains("F."));
    }

    [Test]
    public void An_icmp_error_written_without_a_quoted_packet_quotes_the_connections_segment()
    {
        var result = RunText(Handshake + "+.01 < icmp unreachable frag_needed mtu 800\n");
        Assert.That(result.Passed, Is.True, result.FailureMessage);
        // Ethernet 14 + IPv4 20 + ICMP 8 + the quoted IPv4 header 20 and the TCP header's first 20 bytes.
        var icmp = result.Recording.Frames.Select(f => f.Bytes).Single(b => b.Length > 23 && b[12] == 8 && b[23] == 1);
        Assert.That(icmp.Length, Is.EqualTo(14 + 20 + 8 + 20 + 20));
        Assert.That((icmp[14 + 20 + 8 + 20] << 8) | icmp[14 + 20 + 8 + 21], Is.EqualTo(8080), "the quoted segment's source port");
    }

    [Test]
    public void A_command_line_option_overrides_the_scripts_header_as_packetdrills_command_line_does()
    {
        var file = Path.Combine(RepositoryPaths.FreshOutputDirectory("pkt-command-line"), "h.pkt");
        File.WriteAllText(file, "--local_ip=192.168.0.2\n--remote_ip=10.248.0.2\n" + Handshake);
        var script = LoadedScript.Load(file, commandLine: [CommandLineOptions.Parse("--local_ip=192.168.0.1"), CommandLineOptions.Parse("remote_ip=192.0.2.1")]);
        Assert.That(script.Errors, Is.Empty);
        Assert.That(script.Analysis!.Script.Option("local_ip")!.Value, Is.EqualTo("192.168.0.1"));
        var result = PacketdrillRunner.Run(script, new RunOptions { OutputDirectory = null });
        Assert.That(result.Passed, Is.True, result.FailureMessage);
        var synAck = result.Recording.Frames.Select(f => f.Bytes).First(b => b.Length > 47 && b[23] == 6 && b[47] == 0x12);
        Assert.That(string.Join('.', synAck[26..30]), Is.EqualTo("192.168.0.1"));
        Assert.That(string.Join('.', synAck[30..34]), Is.EqualTo("192.0.2.1"));
    }

    [Test]
    public void A_command_line_option_the_runner_does_not_apply_is_refused_by_name()
    {
        Assert.That(() => CommandLineOptions.Parse("speed=100"),
            Throws.TypeOf<FormatException>().With.Message.Contains("speed"));
        Assert.That(() => CommandLineOptions.Parse("=1"), Throws.TypeOf<FormatException>().With.Message.Contains("NAME=VALUE"));
    }

    [Test]
    public void Blocking_calls_run_one_at_a_time_in_order_on_their_own_thread()
    {
        using var thread = new BlockingCallThread();
        int caller = Environment.CurrentManagedThreadId;
        var order = new List<int>();
        var first = thread.Start(() => { lock (order) order.Add(1); return SyscallOutcome.Ok(Environment.CurrentManagedThreadId); });
        var second = thread.Start(() => { lock (order) order.Add(2); return SyscallOutcome.Ok(Environment.CurrentManagedThreadId); });
        Assert.That(Task.WaitAll([first, second], TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(order, Is.EqualTo(new[] { 1, 2 }));
        Assert.That(first.Result.Result, Is.EqualTo(second.Result.Result).And.Not.EqualTo(caller));
    }
}
