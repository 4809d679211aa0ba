using Netstack.Harness.Linux;
using System.Text.RegularExpressions;
using FluentAssertions;
using NUnit.Framework;
using Netstack.Time;

using static Netstack.Tests.Tap.TestPayloads;

namespace Netstack.Tests.Tap;

/// <summary>IPv6 between our stack and the Linux kernel over taps, in a namespace whose kernel has IPv6 on (every other
/// test namespace keeps it off). tap0: the kernel is 2001:db8:77::1 and one `harness tap --ip6 2001:db8:77::2/64`
/// serves echo and HTTP for the whole fixture; tap1: each client test runs its own short harness (2001:db8:78::2),
/// so our stack resolves the kernel; tap2: radvd advertises 2001:db8:79::/64 and a harness with `--ip6 auto` forms its
/// address by SLAAC. Every recording is checked by tshark with checksum validation.</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class Ipv6InteropTests : LiveHarnessFixture
{
    private const string KernelIp6 = "2001:db8:77::1";
    private const string OurIp6 = "2001:db8:77::2";
    private const string OurMac = "02:00:00:77:06:02";
    private const string OurLinkLocal = "fe80::ff:fe77:602";
    private const string ClientKernelIp6 = "2001:db8:78::1";
    private const string ClientIp6 = "2001:db8:78::2";
    private const string ClientMac = "02:00:00:78:06:02";
    private const string SlaacPrefix = "2001:db8:79::";
    private const string SlaacMac = "02:00:00:79:06:02";
    private const string SlaacAddress = "2001:db8:79::ff:fe79:602"; // the prefix and the modified EUI-64 of SlaacMac
    private const ushort EchoPort = 7;
    private const int FileLength = 256 * 1024;
    private static readonly Duration Startup = Duration.FromSeconds(30);

    private string _site = "";
    private string _recording = "";

    [OneTimeSetUp]
    public void StartHarnessOnTap()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
        RequiredTools.Require("ping", "socat", "curl", "ss", "tshark");
        WorkDir = Path.Combine(Path.GetTempPath(), $"tap-ipv6-{Environment.ProcessId}");
        if (Directory.Exists(WorkDir)) Directory.Delete(WorkDir, true);
        _site = Directory.CreateDirectory(Path.Combine(WorkDir, "site")).FullName;
        _recording = Path.Combine(WorkDir, "tap0.pcap");
        WriteRandomFile(Path.Combine(_site, "file.bin"), FileLength, seed: 6);

        Ns = NetworkNamespace.Create("ns6tap");
        // IPv6 on in this namespace only; no duplicate address detection by the kernel, whose addresses are ours to
        // choose, so that its link-local address (radvd's source) is usable as soon as the tap is up.
        Ns.MustRun("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0",
            "net.ipv6.conf.default.accept_dad=0");
        Ns.AddTap("tap0", "10.77.6.1/24");
        Ns.MustRun("ip", "-6", "addr", "add", $"{KernelIp6}/64", "dev", "tap0", "nodad");
        Ns.AddTap("tap1", "10.78.6.1/24");
        Ns.MustRun("ip", "-6", "addr", "add", $"{ClientKernelIp6}/64", "dev", "tap1", "nodad");
        Live = HarnessProcess.Start(Ns, "tap", "--dev", "tap0", "--ip", "10.77.6.2/24", "--ip6", $"{OurIp6}/64",
            "--mac", OurMac, "--serve", $"echo:{EchoPort}", "--serve", $"http:80:{_site}", "--record", _recording,
            "--duration", "120");
        Live.WaitForReady(Startup).Should().Be($"ready tap0 10.77.6.2 {OurMac}");
        // The addresses come before readiness, each after duplicate address detection.
        Live.Output.Should().Contain($"ip6 tap0 {OurLinkLocal}/64 link-local").And.Contain($"ip6 tap0 {OurIp6}/64 static");
    }

    [Test, Order(1)]
    public void Ping6_gets_replies_on_the_global_and_the_link_local_address_and_the_kernel_learns_our_mac()
    {
        var r = Ns!.Run("ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", OurIp6);
        r.ExitCode.Should().Be(0, r.ToString());
        Regex.Matches(r.Output, $@"64 bytes from {Regex.Escape(OurIp6)}: icmp_seq=\d ttl=64").Count.Should().Be(3, r.ToString());
        var linkLocal = Ns.Run("ping", "-6", "-c", "1", "-W", "2", $"{OurLinkLocal}%tap0");
        linkLocal.ExitCode.Should().Be(0, linkLocal.ToString());
        // The kernel resolved us by neighbour solicitation: our advertisement put our MAC in its cache.
        var neighbour = Ns.Run("ip", "-6", "neigh", "show", OurIp6, "dev", "tap0");
        neighbour.Output.Should().MatchRegex($@"lladdr {OurMac} (REACHABLE|STALE|DELAY)", neighbour.ToString());
    }

    [Test, Order(2)]
    public void A_3000_byte_ping6_is_reassembled_by_us_and_our_fragmented_reply_by_the_kernel()
    {
        var before = KernelIpv6Counters();
        var r = Ns!.Run("ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", "-s", "3000", OurIp6);
        r.ExitCode.Should().Be(0, r.ToString());
        Regex.Matches(r.Output, $@"3008 bytes from {Regex.Escape(OurIp6)}:").Count.Should().Be(2, r.ToString());
        var after = KernelIpv6Counters();
        // The kernel cut each request into fragments (so we reassembled) and put our replies back together from
        // fragments (so we fragmented at the tap's 1500-byte MTU).
        (after["Ip6FragCreates"] - before["Ip6FragCreates"]).Should().BeGreaterThanOrEqualTo(2 * 3);
        (after["Ip6ReasmOKs"] - before["Ip6ReasmOKs"]).Should().Be(2);
        (after["Ip6ReasmFails"] - before["Ip6ReasmFails"]).Should().Be(0);
    }

    [Test, Order(3)]
    public void Curl6_fetches_a_file_byte_exact()
    {
        var fetched = Path.Combine(WorkDir, "curl.bin");
        var r = Ns!.Run(Duration.FromSeconds(30), "curl", "-6", "-sS", "-m", "20", "-o", fetched, $"http://[{OurIp6}]/file.bin");
        r.ExitCode.Should().Be(0, r.ToString());
        Sha256(fetched).Should().Be(Sha256(Path.Combine(_site, "file.bin")));
    }

    [Test, Order(4)]
    public void Socat_over_tcp6_and_udp6_gets_its_bytes_echoed_unchanged()
    {
        var text = RandomText(20_000);
        var tcp = Ns!.RunWithInput(Duration.FromSeconds(10), text, "socat", "-t", "2", "-T", "5", "-", $"TCP6:[{OurIp6}]:{EchoPort}");
        tcp.Output.Should().Be(text, tcp.ToString());
        foreach (var length in new[] { 100, 4000 }) // 4000: fragmented both ways
        {
            var payload = RandomText(length);
            var udp = Ns.RunWithInput(Duration.FromSeconds(10), payload, "socat", "-t", "1", "-T", "3", "-b", "8192", "-",
                $"UDP6:[{OurIp6}]:{EchoPort}");
            udp.Output.Should().Be(payload, $"a {length}-byte datagram should come back unchanged; {udp}");
        }
    }

    [Test, Order(5)]
    public void Our_stack_resolves_the_kernel_and_sends_it_a_file_over_tcp6()
    {
        var source = Path.Combine(_site, "file.bin");
        var received = Path.Combine(WorkDir, "received.bin");
        var recording = Path.Combine(WorkDir, "tap1.pcap");
        using var receiver = Ns!.Start("socat", "-u", $"TCP6-LISTEN:9000,bind=[{ClientKernelIp6}],reuseaddr",
            $"OPEN:{received},creat,trunc");
        Ns.WaitForTcpListener(9000, Duration.FromSeconds(10)).Should().BeTrue();
        using var client = HarnessProcess.Start(Ns, "tap", "--dev", "tap1", "--ip", "10.78.6.2/24", "--ip6", $"{ClientIp6}/64",
            "--mac", ClientMac, "--send", $"[{ClientKernelIp6}]:9000:{source}", "--record", recording, "--duration", "30");
        client.WaitForExit(Duration.FromSeconds(40)).Should().Be(0, client.Error);
        client.Output.Should().Contain($"send {FileLength} bytes sha256 {Sha256(source)}");
        receiver.WaitForExit(Duration.FromSeconds(10)).Should().NotBeNull("the receiver ends when we close");
        Sha256(received).Should().Be(Sha256(source));
        // (The kernel's cache entry for us is flushed when the tap loses its carrier as our harness exits: the
        // recording shows the resolution instead.)

        TsharkCheck.FindProblems(recording, null, ClientKernelIp6, 9000).Should().BeEmpty();
        var counts = TsharkCheck.Counts(recording,
            $"icmpv6.type == 135 && eth.src == {ClientMac} && icmpv6.nd.ns.target_address == {ClientKernelIp6}",
            $"icmpv6.type == 136 && ipv6.src == {ClientKernelIp6} && ipv6.dst == {ClientIp6}",
            $"tcp.flags.syn == 1 && tcp.flags.ack == 0 && ipv6.src == {ClientIp6} && tcp.options.mss_val == 1440");
        counts[0].Should().BePositive("we solicited the kernel's address");
        counts[1].Should().BePositive("the kernel advertised itself to us");
        counts[2].Should().BePositive("our SYN offers the IPv6 MSS, MTU 1500 - 60");
    }

    [Test, Order(6)]
    public void With_radvd_on_the_kernel_side_we_form_an_address_by_slaac_and_answer_on_it()
    {
        RequiredTools.Require("radvd");
        var recording = Path.Combine(WorkDir, "tap2.pcap");
        var config = Path.Combine(WorkDir, "radvd.conf");
        File.WriteAllText(config,
            "interface tap2 {\n  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 4;\n" +
            $"  prefix {SlaacPrefix}/64 {{ AdvOnLink on; AdvAutonomous on; }};\n}};\n");
        Ns!.AddTap("tap2", "10.79.6.1/24");
        // radvd answers our router solicitation (it warns that forwarding is off and carries on: we are its only host).
        using var radvd = Ns.Start("radvd", "-n", "-m", "stderr", "-u", "root", "-C", config, "-p", Path.Combine(WorkDir, "radvd.pid"));
        using var slaac = HarnessProcess.Start(Ns, "tap", "--dev", "tap2", "--ip", "10.79.6.2/24", "--ip6", "auto",
            "--mac", SlaacMac, "--record", recording, "--duration", "30");
        slaac.WaitForReady(Startup);
        var formed = $"ip6 tap2 {SlaacAddress}/64 slaac";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!slaac.Output.Contains(formed) && !slaac.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(20);
        slaac.Output.Should().Contain(formed, $"stderr: {slaac.Error}");
        var r = Ns.Run("ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", SlaacAddress);
        r.ExitCode.Should().Be(0, r.ToString());
        slaac.Stop(Duration.FromSeconds(10)).Should().Be(0, slaac.Error);

        TsharkCheck.FindProblems(recording).Should().BeEmpty();
        // radvd advertises on its own as soon as the tap has a carrier, which may come before our solicitation.
        var counts = TsharkCheck.Counts(recording,
            $"icmpv6.type == 134 && icmpv6.opt.prefix == {SlaacPrefix}",
            $"icmpv6.type == 135 && ipv6.src == :: && icmpv6.nd.ns.target_address == {SlaacAddress}",
            $"icmpv6.type == 143 && eth.src == {SlaacMac} && icmpv6.mldr.mar.multicast_address == ff02::1:ff79:602");
        counts[0].Should().BePositive("radvd advertised the prefix");
        counts[1].Should().BePositive("the formed address went through duplicate address detection");
        counts[2].Should().BePositive("an MLDv2 report joins its solicited-node group");
    }

    /// <summary>RFC 4861 §7.2.1 and RFC 3810: a snooping switch forwards multicast (our neighbour solicitations)
    /// only to ports that reported the group. The kernel's bridge with snooping and its own querier stands in for
    /// such a switch; our port has flooding of unregistered multicast off, so the kernel, on another port (a veth),
    /// reaches us only through the membership our MLDv2 reports registered.</summary>
    [Test, Order(7)]
    public void Behind_a_snooping_bridge_our_mld_reports_register_our_groups_and_we_answer_its_queries()
    {
        const string bridge = "br6s", port = "tap3", kernelPort = "veth6b", kernelSide = "veth6k";
        const string kernel = "2001:db8:7a::1", ours = "2001:db8:7a::2", solicitedNode = "ff02::1:ff00:2";
        var recording = Path.Combine(WorkDir, "tap3.pcap");
        // Queries every 2 s (startup 1 s, responses within 1 s) so the test waits seconds, not the default 125 s.
        Ns!.MustRun("ip", "link", "add", bridge, "type", "bridge", "stp_state", "0", "mcast_snooping", "1",
            "mcast_querier", "1", "mcast_startup_query_interval", "100", "mcast_query_interval", "200",
            "mcast_query_response_interval", "100");
        Ns.MustRun("ip", "tuntap", "add", "dev", port, "mode", "tap");
        Ns.MustRun("ip", "link", "add", kernelSide, "type", "veth", "peer", "name", kernelPort);
        // veth hands partial checksums to whoever reads the frame: the tap's reader would see them unfinished.
        Ns.MustRun("ethtool", "-K", kernelSide, "tx", "off");
        Ns.MustRun("ip", "link", "set", port, "master", bridge);
        Ns.MustRun("ip", "link", "set", kernelPort, "master", bridge);
        Ns.MustRun("bridge", "link", "set", "dev", port, "mcast_flood", "off");
        Ns.MustRun("ip", "-6", "addr", "add", $"{kernel}/64", "dev", kernelSide, "nodad");
        foreach (var device in new[] { port, kernelPort, kernelSide, bridge }) Ns.MustRun("ip", "link", "set", device, "up");

        using var host = HarnessProcess.Start(Ns, "tap", "--dev", port, "--ip", "10.7.10.2/24", "--ip6", $"{ours}/64",
            "--mac", "02:00:00:7a:06:02", "--record", recording, "--duration", "60");
        host.WaitForReady(Startup);
        var registered = $"port {port} grp {solicitedNode}";
        bool Registered() => Ns.Run("bridge", "mdb", "show", "dev", bridge).Output.Contains(registered);
        WaitUntil(Registered, Duration.FromSeconds(15)).Should().BeTrue("our report joins the solicited-node group of our address");

        // The bridge forwards by membership once it counts a querier (its own, a few seconds after it starts).
        bool Pinged()
        {
            Ns.Run("ip", "-6", "neigh", "flush", "dev", kernelSide);
            return Ns.Run("ping", "-6", "-c", "1", "-W", "1", ours).ExitCode == 0;
        }
        WaitUntil(Pinged, Duration.FromSeconds(40)).Should().BeTrue("the kernel's solicitation reaches us through the registered group");

        // Forget the membership: the bridge's next query must bring it back, from our answer.
        Ns.MustRun("bridge", "mdb", "del", "dev", bridge, "port", port, "grp", solicitedNode);
        WaitUntil(Registered, Duration.FromSeconds(15)).Should().BeTrue("we answer the bridge's query with our groups");
        host.Stop(Duration.FromSeconds(10)).Should().Be(0, host.Error);

        TsharkCheck.FindProblems(recording).Should().BeEmpty();
        var counts = TsharkCheck.Counts(recording,
            "icmpv6.type == 130",
            $"icmpv6.type == 143 && icmpv6.mldr.mar.record_type == 2 && icmpv6.mldr.mar.multicast_address == {solicitedNode}");
        counts[0].Should().BePositive("the bridge queried");
        counts[1].Should().BePositive("we answered a query with the group as MODE_IS_EXCLUDE (RFC 3810 §5.2.12)");
    }

    [Test, Order(100)]
    public void On_sigterm_the_harness_exits_cleanly_and_its_recording_passes_tshark()
    {
        Ns!.Run("ping", "-6", "-c", "1", "-W", "2", "-s", "2000", OurIp6).ExitCode.Should().Be(0);
        Live!.Stop(Duration.FromSeconds(10)).Should().Be(0, Live.Error);
        Live.Error.Should().MatchRegex(@"tap tap0: \d+ frames in, \d+ out, \d+ recorded to ");

        TsharkCheck.FindProblems(_recording, null, KernelIp6, EchoPort).Should().BeEmpty();
        var counts = TsharkCheck.Counts(_recording,
            $"icmpv6.type == 143 && eth.src == {OurMac} && icmpv6.mldr.mar.multicast_address == ff02::1:ff00:2",
            $"icmpv6.type == 136 && ipv6.src == {OurIp6} && icmpv6.nd.na.flag.s == 1",
            $"ipv6.src == {OurIp6} && ipv6.fraghdr.more == 1",
            "frame.len > 1514");
        counts[0].Should().BePositive("an MLDv2 report joins the solicited-node group of our static address");
        counts[1].Should().BePositive("we answered the kernel's solicitation");
        counts[2].Should().BePositive("our replies to large pings are fragmented");
        counts[3].Should().Be(0, "nothing exceeds the tap's MTU");
    }

    private Dictionary<string, long> KernelIpv6Counters() =>
        // /proc/net/snmp6 is per namespace: one "name value" per line.
        Ns!.Run("cat", "/proc/net/snmp6").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => long.Parse(p[1]));
}
