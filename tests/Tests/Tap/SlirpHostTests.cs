using System.Security.Cryptography;
using FluentAssertions;
using Netstack.Api;
using Netstack.Harness.Linux;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tap;

/// <summary>libslirp (slirp4netns via scripts/slirp-host.sh) as an external host: its gateway 10.0.2.2 and DNS
/// 10.0.2.3 behind its tap, bridged to one of our stacks at 10.0.2.100 on the real-time loop. TCP and UDP to the
/// gateway's port 7 reach socat echo servers in slirp's own loopback-only namespace.</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class SlirpHostTests
{
    private static readonly Ipv4Address Gateway = Ipv4Address.Parse("10.0.2.2");
    private static readonly Ipv4Address Dns = Ipv4Address.Parse("10.0.2.3");
    private ExternalStackWorld? _world;
    private string _recording = "";

    private ExternalStackWorld World => _world!;

    [OneTimeSetUp]
    public void StartSlirp()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
        RequiredTools.Require("slirp4netns", "socat", "unshare");
        _recording = Path.Combine(Path.GetTempPath(), $"slirp-host-{Environment.ProcessId}.pcap");
        var spec = KnownExternalStacks.For("slirp", MacAddress.Parse("52:55:0a:00:02:02"), new Ipv4Cidr(Gateway, 24), 1500);
        _world = new ExternalStackWorld(spec, MacAddress.Parse("02:00:00:00:02:64"),
            new Ipv4Cidr(Ipv4Address.Parse("10.0.2.100"), 24), _recording);
    }

    [OneTimeTearDown]
    public void StopSlirp()
    {
        _world?.Dispose();
        if (_recording.Length > 0) File.Delete(_recording);
    }

    [Test, Order(1)]
    public void The_gateway_answers_arp_with_its_address_derived_mac_and_answers_ping()
    {
        var reply = World.Ping(Gateway);
        reply.Status.Should().Be(PingStatus.Success, World.Host.Output);
        reply.From.Should().Be(Gateway);
        World.LearnedMac(Gateway).Should().Be(MacAddress.Parse("52:55:0a:00:02:02"));
    }

    [Test, Order(2)]
    public void The_dns_address_answers_arp_and_ping()
    {
        var reply = World.Ping(Dns);
        reply.Status.Should().Be(PingStatus.Success, World.Host.Output);
        reply.From.Should().Be(Dns);
        World.LearnedMac(Dns).Should().Be(MacAddress.Parse("52:55:0a:00:02:03"));
    }

    [Test, Order(3)]
    public void Tcp_to_the_gateways_port_7_reaches_the_echo_server_outside_and_a_megabyte_comes_back_intact()
    {
        var data = RandomNumberGenerator.GetBytes(1 << 20);
        var back = World.Exchange(Gateway, 7, data);
        back.Length.Should().Be(data.Length);
        Convert.ToHexString(SHA256.HashData(back)).Should().Be(Convert.ToHexString(SHA256.HashData(data)));
    }

    [Test, Order(4)]
    public void Udp_to_the_gateways_port_7_reaches_the_echo_server_outside()
    {
        var payload = RandomNumberGenerator.GetBytes(500);
        var echo = World.UdpRoundTrip(Gateway, 7, payload);
        echo.Data.ToArray().Should().Equal(payload);
        echo.RemoteAddress.Should().Be(Gateway);
    }

    [Test, Order(5)]
    public void Slirps_outside_is_a_namespace_of_its_own_with_loopback_only()
    {
        RequiredTools.Require("nsenter");
        var slirp = MarkedProcesses.Running(ExternalStackHost.NamespaceVariable, World.Host.Namespace.Name)
            .Where(pid => File.ReadAllText($"/proc/{pid}/comm").Trim() == "slirp4netns").ToList();
        slirp.Should().ContainSingle(World.Host.Output);
        var outside = new FileInfo($"/proc/{slirp[0]}/ns/net").LinkTarget;
        outside.Should().NotBe(new FileInfo("/proc/self/ns/net").LinkTarget, "slirp must not see the machine's network");
        outside.Should().NotBe(World.Host.Namespace.RunInside(() => new FileInfo("/proc/thread-self/ns/net").LinkTarget),
            "slirp's outside is not the namespace its tap is in");
        var links = CommandRunner.Run("nsenter", "-t", slirp[0].ToString(), "-n", "ip", "-o", "link", "show");
        links.Output.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain(": lo:");
        var routes = CommandRunner.Run("nsenter", "-t", slirp[0].ToString(), "-n", "ip", "route", "show", "table", "all");
        routes.Output.Split('\n').Where(l => l.Length > 0).Should().OnlyContain(l => l.Contains("dev lo"), routes.Output);
    }

    [Test, Order(6)]
    public void The_recording_passes_tshark_and_nothing_of_slirp_outlives_it()
    {
        RequiredTools.Require("tshark");
        World.Host.IsRunning.Should().BeTrue(World.Host.Output);
        var host = World.Host;
        _world!.Dispose();
        _world = null;
        host.Leftovers().Should().BeEmpty("disposing ends every process of the host and deletes its namespace");
        TsharkCheck.FindProblems(_recording, 7).Should().BeEmpty();
        TsharkCheck.Frames(_recording, "arp.opcode == 2 && arp.src.proto_ipv4 == 10.0.2.2").Should().NotBeEmpty();
    }
}
