using Netstack.Harness.Linux;
using System.Text.RegularExpressions;
using FluentAssertions;
using NUnit.Framework;
using Netstack.Time;

using static Netstack.Tests.Tap.TestPayloads;

namespace Netstack.Tests.Tap;

/// <summary>TCP between our stack and the Linux kernel over a tap. tap0: the kernel is 10.78.0.1 and one
/// long-running `harness tap` (10.78.0.2) serves echo, discard, sink and HTTP; tap1: the kernel is 10.79.0.1
/// and each client test runs its own short `harness tap --fetch/--send` (10.79.0.2).</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class TcpInteropTests
{
    private const string KernelIp = "10.78.0.1";
    private const string OurIp = "10.78.0.2";
    private const string ClientKernelIp = "10.79.0.1";
    private const int TenMegabytes = 10 * 1024 * 1024;
    private static readonly Duration Startup = Duration.FromSeconds(30);

    private NetworkNamespace? _ns;
    private HarnessProcess? _server;
    private string _dir = "";
    private string _site = "";
    private string _recording = "";
    private string _tenMegabytes = "";

    [OneTimeSetUp]
    public void StartServerOnTap()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
        RequiredTools.Require("socat", "curl", "ss");
        _dir = Path.Combine(Path.GetTempPath(), $"tap-tcp-{Environment.ProcessId}");
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
        _site = Directory.CreateDirectory(Path.Combine(_dir, "site")).FullName;
        _recording = Path.Combine(_dir, "tap0.pcap");
        _tenMegabytes = Path.Combine(_dir, "ten.bin");
        WriteRandomFile(_tenMegabytes, TenMegabytes, seed: 10);
        WriteRandomFile(Path.Combine(_site, "one.bin"), 1024 * 1024, seed: 1);
        File.Copy(_tenMegabytes, Path.Combine(_site, "ten.bin"));
        File.WriteAllText(Path.Combine(_site, "index.html"), "<p>netstack test site</p>\n");

        _ns = NetworkNamespace.Create("nstcp");
        _ns.AddTap("tap0", $"{KernelIp}/24");
        _ns.AddTap("tap1", $"{ClientKernelIp}/24");
        _server = HarnessProcess.Start(_ns, "tap", "--dev", "tap0", "--ip", $"{OurIp}/24", "--serve", "echo:7",
            "--serve", "discard:9", "--serve", "sink:19", "--serve", $"http:80:{_site}", "--record", _recording, "--duration", "300");
        _server.WaitForReady(Startup).Should().StartWith($"ready tap0 {OurIp} ");
    }

    private bool _anyTestFailed;

    // Per test: the fixture's own result in OneTimeTearDown counted failures in runs where every test passed.
    [TearDown]
    public void NoteFailure() =>
        _anyTestFailed |= TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed;

    [OneTimeTearDown]
    public void CleanUp()
    {
        _server?.Stop(Duration.FromSeconds(5));
        // NETSTACK_KEEP_TAP_OUTPUT=1 keeps them after a pass too (to study a slow run).
        bool failed = _anyTestFailed || Environment.GetEnvironmentVariable("NETSTACK_KEEP_TAP_OUTPUT") == "1";
        if (failed && _server is not null && Directory.Exists(_dir))
            File.WriteAllText(Path.Combine(_dir, "server.log"), $"stdout:\n{_server.Output}\nstderr:\n{_server.Error}");
        _server?.Dispose();
        _ns?.Dispose();
        if (_dir.Length == 0 || !Directory.Exists(_dir)) return;
        // A failure keeps what explains it: the recording of every frame on tap0 and the server's own lines.
        if (failed) TestContext.Progress.WriteLine($"TcpInteropTests: kept {_recording} and {Path.Combine(_dir, "server.log")}");
        else Directory.Delete(_dir, true);
    }

    [Test, Order(1)]
    public void Curl_fetches_two_files_over_one_kept_alive_connection()
    {
        var first = Path.Combine(_dir, "curl-one.bin");
        var second = Path.Combine(_dir, "curl-index.html");
        var r = _ns!.Run(Duration.FromSeconds(30), "curl", "-sS", "-v", "-m", "20",
            "-o", first, $"http://{OurIp}/one.bin", "-o", second, $"http://{OurIp}/");
        r.ExitCode.Should().Be(0, r.ToString());
        Sha256(first).Should().Be(Sha256(Path.Combine(_site, "one.bin")));
        File.ReadAllText(second).Should().Be("<p>netstack test site</p>\n");
        r.Error.Should().Contain("Re-using existing connection", "HTTP/1.1 keep-alive serves both on one connection");
    }

    [Test, Order(2)]
    public void Curl_head_gets_the_length_without_a_body()
    {
        var r = _ns!.Run("curl", "-sS", "-m", "10", "-I", $"http://{OurIp}/one.bin");
        r.ExitCode.Should().Be(0, r.ToString());
        r.Output.Should().StartWith("HTTP/1.1 200 OK").And.Contain("Content-Length: 1048576");
    }

    [Test, Order(3)]
    public void Ten_megabytes_to_our_discard_service_arrive_byte_exact()
    {
        int before = DiscardLines().Length;
        var r = _ns!.Run(Duration.FromSeconds(60), "socat", "-u", $"OPEN:{_tenMegabytes}", $"TCP:{OurIp}:9");
        r.ExitCode.Should().Be(0, r.ToString());
        var line = WaitForDiscardLine(before);
        line.Should().MatchRegex($@"^discard {Regex.Escape(KernelIp)}:\d+ {TenMegabytes} bytes sha256 {Sha256(_tenMegabytes)}$");
    }

    [Test, Order(3)]
    public void Ten_megabytes_to_our_sink_service_are_counted_without_a_digest()
    {
        int before = Lines("sink ").Length;
        var r = _ns!.Run(Duration.FromSeconds(60), "socat", "-u", $"OPEN:{_tenMegabytes}", $"TCP:{OurIp}:19");
        r.ExitCode.Should().Be(0, r.ToString());
        var line = WaitForLine("sink ", before);
        line.Should().MatchRegex($@"^sink {Regex.Escape(KernelIp)}:\d+ {TenMegabytes} bytes$");
    }

    [Test, Order(4)]
    public void Ten_megabytes_through_our_echo_service_come_back_byte_exact()
    {
        var back = Path.Combine(_dir, "echo-back.bin");
        var r = _ns!.Run(Duration.FromSeconds(60), "sh", "-c",
            $"socat -t 30 -T 30 - TCP:{OurIp}:7 < '{_tenMegabytes}' > '{back}'");
        r.ExitCode.Should().Be(0, r.ToString());
        new FileInfo(back).Length.Should().Be(TenMegabytes);
        Sha256(back).Should().Be(Sha256(_tenMegabytes));
    }

    [Test, Order(5)]
    public void A_connection_to_a_closed_port_is_refused_not_timed_out()
    {
        var r = _ns!.Run("curl", "-sS", "-m", "10", $"http://{OurIp}:81/");
        // 7 is "couldn't connect" (the kernel took our RST); a lost or rejected RST would end in 28, timeout.
        r.ExitCode.Should().Be(7, r.ToString());
    }

    [Test, Order(6)]
    public void Our_fetch_gets_a_file_from_a_linux_http_server()
    {
        var script = Path.Combine(_dir, "http-once.sh");
        var file = Path.Combine(_site, "one.bin");
        // A minimal HTTP server from socat and sh: read the request head, answer with the file.
        File.WriteAllText(script,
            "while IFS= read -r line; do line=$(printf '%s' \"$line\" | tr -d '\\r'); [ -z \"$line\" ] && break; done\n" +
            $"printf 'HTTP/1.1 200 OK\\r\\nContent-Length: %s\\r\\nConnection: close\\r\\n\\r\\n' $(stat -c %s '{file}')\n" +
            $"cat '{file}'\n");
        using var server = _ns!.Start("socat", $"TCP-LISTEN:8080,bind={ClientKernelIp},reuseaddr", $"EXEC:/bin/sh {script}");
        _ns.WaitForTcpListener(8080, Duration.FromSeconds(10)).Should().BeTrue();
        using var client = HarnessProcess.Start(_ns, "tap", "--dev", "tap1", "--ip", "10.79.0.2/24",
            "--fetch", $"http://{ClientKernelIp}:8080/one.bin", "--duration", "30");
        var code = client.WaitForExit(Duration.FromSeconds(40));
        code.Should().Be(0, client.Error);
        client.Output.Should().Contain($"fetch 200 1048576 bytes sha256 {Sha256(file)}");
    }

    [Test, Order(7)]
    public void Our_send_delivers_a_file_to_a_linux_receiver_byte_exact()
    {
        var received = Path.Combine(_dir, "received.bin");
        using var receiver = _ns!.Start("socat", "-u", $"TCP-LISTEN:9000,bind={ClientKernelIp},reuseaddr",
            $"OPEN:{received},creat,trunc");
        _ns.WaitForTcpListener(9000, Duration.FromSeconds(10)).Should().BeTrue();
        using var client = HarnessProcess.Start(_ns, "tap", "--dev", "tap1", "--ip", "10.79.0.2/24",
            "--send", $"{ClientKernelIp}:9000:{_tenMegabytes}", "--duration", "60");
        var code = client.WaitForExit(Duration.FromSeconds(70));
        code.Should().Be(0, client.Error);
        client.Output.Should().Contain($"send {TenMegabytes} bytes sha256 {Sha256(_tenMegabytes)}");
        receiver.WaitForExit(Duration.FromSeconds(10)).Should().NotBeNull("the receiver ends when we close");
        Sha256(received).Should().Be(Sha256(_tenMegabytes));
    }

    [Test, Order(8)]
    public void With_tso_offload_the_kernel_sends_large_segments_and_ten_megabytes_arrive_byte_exact()
    {
        using var server = HarnessProcess.Start(_ns!, "tap", "--dev", "tap1", "--ip", "10.79.0.2/24",
            "--serve", "discard:9", "--offload", "--duration", "60");
        server.WaitForReady(Startup);
        _ns!.Run("ethtool", "-k", "tap1").Output.Should().Contain("tcp-segmentation-offload: on");
        var r = _ns.Run(Duration.FromSeconds(60), "socat", "-u", $"OPEN:{_tenMegabytes}", "TCP:10.79.0.2:9");
        r.ExitCode.Should().Be(0, r.ToString());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!server.Output.Contains("discard ") && DateTime.UtcNow < deadline) Thread.Sleep(20);
        server.Output.Should().MatchRegex($@"discard {Regex.Escape(ClientKernelIp)}:\d+ {TenMegabytes} bytes sha256 {Sha256(_tenMegabytes)}");
        server.Stop(Duration.FromSeconds(10)).Should().Be(0, server.Error);
        var framesIn = long.Parse(Regex.Match(server.Error, @"tap tap1: (\d+) frames in").Groups[1].Value);
        framesIn.Should().BeLessThan(TenMegabytes / 1448 / 2, "segments larger than the MTU arrived (TSO)");
    }

    [Test, Order(50)]
    public void With_3_percent_of_tcp_frames_dropped_both_ways_ten_megabytes_still_arrive_byte_exact()
    {
        // netdev ingress and egress on the tap: frames we send and frames the kernel sends us both suffer.
        _ns!.MustRun("nft", "add", "table", "netdev", "loss");
        try
        {
            foreach (var (chain, hook) in new[] { ("in", "ingress"), ("out", "egress") })
            {
                _ns.MustRun("nft", "add", "chain", "netdev", "loss", chain,
                    $"{{ type filter hook {hook} device \"tap0\" priority 0; }}");
                _ns.MustRun("nft", "add", "rule", "netdev", "loss", chain,
                    "meta", "l4proto", "tcp", "numgen", "random", "mod", "100", "<", "3", "counter", "drop");
            }
            int before = DiscardLines().Length;
            var up = _ns.Run(Duration.FromSeconds(60), "socat", "-u", $"OPEN:{_tenMegabytes}", $"TCP:{OurIp}:9");
            up.ExitCode.Should().Be(0, up.ToString());
            WaitForDiscardLine(before).Should().EndWith($" {TenMegabytes} bytes sha256 {Sha256(_tenMegabytes)}");

            var down = Path.Combine(_dir, "lossy-download.bin");
            var r = _ns.Run(Duration.FromSeconds(90), "curl", "-sS", "-m", "80", "-o", down, $"http://{OurIp}/ten.bin");
            r.ExitCode.Should().Be(0, r.ToString());
            Sha256(down).Should().Be(Sha256(_tenMegabytes));

            var rules = _ns.MustRun("nft", "list", "table", "netdev", "loss").Output;
            var dropped = Regex.Matches(rules, @"counter packets (\d+)").Select(m => long.Parse(m.Groups[1].Value)).ToArray();
            dropped.Should().HaveCount(2, rules).And.OnlyContain(n => n > 50, $"both directions really lost frames: {rules}");
        }
        finally
        {
            _ns.Run("nft", "delete", "table", "netdev", "loss");
        }
    }

    [Test, Order(100)]
    public void The_recording_of_all_tcp_traffic_passes_tshark_and_shows_our_reset()
    {
        RequiredTools.Require("tshark");
        _ns!.Run("curl", "-sS", "-m", "5", $"http://{OurIp}:81/"); // a refused connection, even when run alone
        _server!.Stop(Duration.FromSeconds(10)).Should().Be(0, _server.Error);
        // Problems, or a segment larger than the MSS a 1500-byte MTU allows.
        TsharkCheck.FindProblems(_recording, "tcp.len > 1460 || frame.len > 1514", KernelIp, 7, 9).Should().BeEmpty();
        TsharkCheck.Frames(_recording, $"ip.src == {OurIp} && tcp.srcport == 81 && tcp.flags.reset == 1")
            .Should().NotBeEmpty("the closed port answered with RST");
    }

    private string[] DiscardLines() => Lines("discard ");

    private string WaitForDiscardLine(int seenBefore) => WaitForLine("discard ", seenBefore);

    private string[] Lines(string prefix) =>
        _server!.Output.Split('\n', StringSplitOptions.TrimEntries).Where(l => l.StartsWith(prefix)).ToArray();

    private string WaitForLine(string prefix, int seenBefore)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            var lines = Lines(prefix);
            if (lines.Length > seenBefore) return lines[seenBefore];
            Thread.Sleep(20);
        }
        throw new AssertionException($"no new '{prefix.Trim()}' line; harness said:\n{_server!.Output}\n{_server.Error}");
    }
}
