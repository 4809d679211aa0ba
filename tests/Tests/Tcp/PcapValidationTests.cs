using System.Diagnostics;
using FluentAssertions;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Transport.Tcp;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>What the stack puts on the wire is real TCP to Wireshark: a recorded conversation (handshake
/// with options, data with loss and SACK recovery, close) passes tshark's analysis with checksum
/// validation on, and the same seed replays to the identical capture.</summary>
public class PcapValidationTests
{
    private static string Record(string path, ulong seed)
    {
        using (var sink = new PcapFileSink(path))
        {
            var tcp = new TcpSettings { MinRto = Duration.FromMilliseconds(200) };
            var w = new TcpWorld(seed, new SegmentOptions { Latency = Duration.FromMilliseconds(1) }, tcp, tcp, sink);
            w.Lan.Faults = new LossyReorderingWire(w.Sim.ForkRandom(), 0.03, 0.03, Duration.FromMilliseconds(1));
            var listener = w.A.ListenTcp(80);
            var payload = new byte[200_000];
            new Random(3).NextBytes(payload);
            var server = w.Spawn(async () =>
            {
                await using var s = await listener.AcceptAsync();
                var buffer = new byte[65536];
                long total = 0;
                int n;
                while ((n = await s.ReadAsync(buffer)) > 0) total += n;
                return total;
            });
            var client = w.Spawn(async () =>
            {
                await using var s = await w.B.ConnectTcpAsync(TcpWorld.AIp, 80);
                await s.WriteAsync(payload);
                s.ShutdownSend();
                var buffer = new byte[16];
                while (await s.ReadAsync(buffer) > 0) { }
            });
            w.RunUntil(() => server.IsCompleted && client.IsCompleted, 600).Should().BeTrue();
            server.Result.Should().Be(payload.Length);
            w.RunFor(5);
        }
        return path;
    }

    [Test]
    public void Recorded_tcp_conversation_passes_tshark_with_checksums_validated()
    {
        var dir = Path.Combine(Path.GetTempPath(), "netstack-tcp-pcap-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        var first = Record(Path.Combine(dir, "a.pcap"), 5);
        var second = Record(Path.Combine(dir, "b.pcap"), 5);
        File.ReadAllBytes(first).Should().Equal(File.ReadAllBytes(second), "same seed, same capture");

        string tshark = "/usr/bin/tshark";
        if (!File.Exists(tshark)) Assert.Ignore("tshark is not installed (run-tests.sh installs it)");
        var psi = new ProcessStartInfo(tshark, ["-r", first, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
            "-z", "expert,error", "-q"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        TestContext.Out.WriteLine(output);
        p.ExitCode.Should().Be(0);
        output.Should().NotContainAny("Malformed", "Bad checksum", "checksum is incorrect", "Errors (");

        // And tshark sees the options we negotiated on the SYN.
        var syn = new ProcessStartInfo(tshark, ["-r", first, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0", "-T", "fields",
            "-e", "tcp.options.mss_val", "-e", "tcp.options.wscale.shift", "-e", "tcp.options.sack_perm", "-e", "tcp.options.timestamp.tsval"])
        {
            RedirectStandardOutput = true,
        };
        using var q = Process.Start(syn)!;
        var fields = q.StandardOutput.ReadToEnd().Trim().Split('\n')[0].Split('\t');
        q.WaitForExit();
        fields[0].Should().Be("1460");
        fields[1].Should().Be("3");
        fields[2].Should().NotBeEmpty();
        fields[3].Should().NotBeEmpty();
        Directory.Delete(dir, recursive: true);
    }
}
