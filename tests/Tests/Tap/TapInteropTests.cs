using Netstack.Harness.Linux;
using System.Text.RegularExpressions;
using FluentAssertions;
using NUnit.Framework;
using Netstack.Time;

using static Netstack.Tests.Tap.TestPayloads;

namespace Netstack.Tests.Tap;

/// <summary>The Linux kernel as the peer on a real wire: a namespace with a tap, the kernel's side
/// addressed 10.77.0.1, and `harness tap` (our stack, 10.77.0.2) attached to the tap as a child
/// process. One harness runs for the whole fixture; the last test stops it and checks its recording.</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class TapInteropTests
{
    private const string Device = "tap0";
    private const string KernelIp = "10.77.0.1";
    private const string OurIp = "10.77.0.2";
    private const string OurMac = "02:00:00:77:00:02";
    private const ushort EchoPort = 7;
    private static readonly Duration Startup = Duration.FromSeconds(30);

    private NetworkNamespace? _ns;
    private HarnessProcess? _harness;
    private string _recording = "";

    [OneTimeSetUp]
    public void StartHarnessOnTap()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
        _recording = Path.Combine(Path.GetTempPath(), $"tap-interop-{Environment.ProcessId}.pcap");
        File.Delete(_recording);
        _ns = NetworkNamespace.Create("nstap");
        _ns.AddTap(Device, $"{KernelIp}/24");
        _harness = HarnessProcess.Start(_ns, "tap", "--dev", Device, "--ip", $"{OurIp}/24", "--mac", OurMac,
            "--serve", $"echo:{EchoPort}", "--record", _recording, "--duration", "120");
        var ready = _harness.WaitForReady(Startup);
        ready.Should().Be($"ready {Device} {OurIp} {OurMac}");
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        _harness?.Stop(Duration.FromSeconds(5));
        _harness?.Dispose();
        _ns?.Dispose();
        if (_recording.Length > 0) File.Delete(_recording);
    }

    [Test, Order(1)]
    public void Arping_gets_unicast_replies_with_our_mac()
    {
        RequiredTools.Require("arping");
        var r = _ns!.Run("arping", "-c", "2", "-w", "5", "-I", Device, OurIp);
        r.ExitCode.Should().Be(0, r.ToString());
        Regex.Matches(r.Output, $@"reply from {Regex.Escape(OurIp)} \[{OurMac}\]", RegexOptions.IgnoreCase)
            .Count.Should().Be(2, r.ToString());
    }

    [Test, Order(2)]
    public void Ping_gets_echo_replies_and_the_kernel_learns_our_mac()
    {
        RequiredTools.Require("ping");
        var r = _ns!.Run("ping", "-c", "3", "-i", "0.2", "-W", "2", OurIp);
        r.ExitCode.Should().Be(0, r.ToString());
        r.Output.Should().Contain("3 packets transmitted, 3 received");
        Regex.Matches(r.Output, $@"64 bytes from {Regex.Escape(OurIp)}: icmp_seq=\d ttl=64").Count.Should().Be(3);
        var neighbour = _ns.Run("ip", "neigh", "show", OurIp, "dev", Device);
        neighbour.Output.Should().Contain($"lladdr {OurMac}");
    }

    [Test, Order(3)]
    public void A_3000_byte_ping_is_reassembled_by_us_and_our_fragmented_reply_by_the_kernel()
    {
        RequiredTools.Require("ping");
        var before = KernelIpCounters();
        var r = _ns!.Run("ping", "-c", "2", "-i", "0.2", "-W", "2", "-s", "3000", OurIp);
        r.ExitCode.Should().Be(0, r.ToString());
        r.Output.Should().Contain("2 packets transmitted, 2 received");
        Regex.Matches(r.Output, $@"3008 bytes from {Regex.Escape(OurIp)}:").Count.Should().Be(2);
        var after = KernelIpCounters();
        // The kernel cut each request into fragments (so we reassembled), and put each of our replies
        // back together from fragments (so we fragmented at the tap's 1500-byte MTU).
        (after["FragCreates"] - before["FragCreates"]).Should().BeGreaterThanOrEqualTo(2 * 3);
        (after["ReasmOKs"] - before["ReasmOKs"]).Should().Be(2);
        (after["ReasmFails"] - before["ReasmFails"]).Should().Be(0);
    }

    [Test, Order(4)]
    public void Udp_echo_returns_small_and_fragmented_datagrams_unchanged()
    {
        RequiredTools.Require("socat");
        foreach (var length in new[] { 100, 4000 })
        {
            var payload = RandomText(length);
            var r = _ns!.RunWithInput(Duration.FromSeconds(10), payload, "socat", "-t", "1", "-T", "3", "-b", "8192", "-",
                $"UDP:{OurIp}:{EchoPort}");
            r.Output.Should().Be(payload, $"a {length}-byte datagram should come back unchanged; {r}");
        }
    }

    [Test, Order(5)]
    public void A_second_harness_on_the_same_tap_fails_with_a_clear_busy_message()
    {
        using var second = HarnessProcess.Start(_ns!, "tap", "--dev", Device, "--ip", "10.77.0.3/24");
        var code = second.WaitForExit(Startup);
        code.Should().Be(1, second.Error);
        second.Error.Should().Contain($"tap {Device} is busy");
        second.Output.Should().NotContain("ready");
    }

    [Test, Order(6)]
    public void Attaching_to_something_that_is_not_a_tap_fails_with_a_clear_message()
    {
        using var wrong = HarnessProcess.Start(_ns!, "tap", "--dev", "lo", "--ip", "10.77.0.3/24");
        wrong.WaitForExit(Startup).Should().Be(1, wrong.Error);
        wrong.Error.Trim().Should().Be("harness: lo exists but is not a TAP device");
    }

    [Test, Order(7)]
    public void Without_privileges_the_tap_cannot_be_opened_and_the_message_says_why()
    {
        RequiredTools.Require("setpriv");
        string[] nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
        if (_ns!.Run(nobody[0], [.. nobody[1..], "test", "-r", HarnessProcess.DllPath]).ExitCode != 0)
            Assert.Ignore($"user nobody cannot read {HarnessProcess.DllPath}, so it cannot run the harness");
        var r = _ns.Run(Duration.FromSeconds(30), nobody[0],
            [.. nobody[1..], "dotnet", HarnessProcess.DllPath, "tap", "--dev", "tapx", "--ip", "10.77.0.3/24"]);
        r.ExitCode.Should().Be(1, r.ToString());
        r.Error.Trim().Should().Be("harness: cannot open /dev/net/tun: permission denied (run as root or with CAP_NET_ADMIN)");
    }

    [Test, Order(8)]
    public void Without_dev_net_tun_the_message_says_what_is_missing()
    {
        RequiredTools.Require("unshare");
        // A private mount namespace with an empty tmpfs over /dev/net: the device is gone for this command only.
        var r = _ns!.Run(Duration.FromSeconds(30), "unshare", "--mount", "sh", "-c",
            $"mount -t tmpfs none /dev/net && exec dotnet '{HarnessProcess.DllPath}' tap --dev tapx --ip 10.77.0.3/24");
        r.ExitCode.Should().Be(1, r.ToString());
        r.Error.Trim().Should().Be(
            "harness: /dev/net/tun does not exist: load the tun module (modprobe tun) or give the container the device");
        File.Exists("/dev/net/tun").Should().BeTrue("the test's own view of /dev is untouched");
    }

    [Test, Order(100)]
    public void On_sigterm_the_harness_exits_cleanly_and_its_recording_passes_tshark()
    {
        RequiredTools.Require("tshark", "ping");
        // Some traffic of our own, so this holds even when run alone.
        _ns!.Run("ping", "-c", "1", "-W", "2", "-s", "2000", OurIp).ExitCode.Should().Be(0);
        var code = _harness!.Stop(Duration.FromSeconds(10));
        code.Should().Be(0, _harness.Error);
        _harness.Error.Should().MatchRegex(@"tap tap0: \d+ frames in, \d+ out, \d+ recorded to ");

        File.Exists(_recording).Should().BeTrue();
        TsharkCheck.FindProblems(_recording, EchoPort).Should().BeEmpty();
        TsharkCheck.Frames(_recording, $"arp.opcode == 1 && arp.src.proto_ipv4 == {OurIp} && arp.dst.proto_ipv4 == {OurIp}")
            .Should().NotBeEmpty("the gratuitous ARP is recorded");
        TsharkCheck.Frames(_recording, $"icmp.type == 0 && ip.src == {OurIp}").Should().NotBeEmpty();
        TsharkCheck.Frames(_recording, $"ip.src == {OurIp} && ip.flags.mf == 1")
            .Should().NotBeEmpty("our replies to large pings are fragmented");
        TsharkCheck.Frames(_recording, "frame.len > 1514").Should().BeEmpty("nothing exceeds the tap's MTU");
    }

    private Dictionary<string, long> KernelIpCounters()
    {
        // /proc/net/snmp is per namespace: a header line and a value line per protocol.
        var lines = _ns!.Run("cat", "/proc/net/snmp").Output.Split('\n').Where(l => l.StartsWith("Ip: ")).ToArray();
        var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToArray();
        var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        return names.Zip(values).ToDictionary(p => p.First, p => p.Second);
    }
}
