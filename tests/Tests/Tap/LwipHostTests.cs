using System.Net.Sockets;
using System.Security.Cryptography;
using FluentAssertions;
using Netstack.Api;
using Netstack.Harness.Linux;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tap;

/// <summary>lwIP 2.1.3 (Debian's liblwip, tools/lwip-host) as an external host on a tap, bridged to one of our stacks
/// on a virtual segment on the real-time loop: ARP, ping (also fragmented both ways), UDP echo, TCP echo and discard,
/// RST from a closed port. The whole conversation is recorded and must pass tshark.</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class LwipHostTests
{
    private static readonly Ipv4Address Lwip = Ipv4Address.Parse("10.66.0.2");
    private static readonly MacAddress LwipMac = MacAddress.Parse("02:00:00:66:00:02");
    private ExternalStackWorld? _world;
    private string _recording = "";

    private ExternalStackWorld World => _world!;

    [OneTimeSetUp]
    public void StartLwip()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
        _recording = Path.Combine(Path.GetTempPath(), $"lwip-host-{Environment.ProcessId}.pcap");
        var spec = KnownExternalStacks.For("lwip", LwipMac, new Ipv4Cidr(Lwip, 24), 1500, Ipv4Address.Parse("10.66.0.254"));
        _world = new ExternalStackWorld(spec, MacAddress.Parse("02:00:00:66:00:01"),
            new Ipv4Cidr(Ipv4Address.Parse("10.66.0.1"), 24), _recording);
    }

    [OneTimeTearDown]
    public void StopLwip()
    {
        _world?.Dispose();
        if (_recording.Length > 0) File.Delete(_recording);
    }

    [Test, Order(1)]
    public void Ping_resolves_lwips_mac_by_arp_and_gets_a_reply_with_its_ttl_255()
    {
        var reply = World.Ping(Lwip);
        reply.Status.Should().Be(PingStatus.Success, World.Host.Output);
        reply.From.Should().Be(Lwip);
        reply.TimeToLive.Should().Be(255, "lwIP's IP_DEFAULT_TTL");
        World.LearnedMac(Lwip).Should().Be(LwipMac);
    }

    [Test, Order(2)]
    public void A_3000_byte_ping_is_reassembled_by_lwip_and_its_fragmented_reply_by_us()
    {
        var reply = World.Ping(Lwip, dataLength: 3000);
        reply.Status.Should().Be(PingStatus.Success, World.Host.Output);
        reply.DataLength.Should().Be(3000);
    }

    [Test, Order(3)]
    public void A_udp_datagram_to_port_7_comes_back_unchanged()
    {
        var payload = RandomNumberGenerator.GetBytes(1000);
        var echo = World.UdpRoundTrip(Lwip, 7, payload);
        echo.Data.ToArray().Should().Equal(payload);
        (echo.RemoteAddress, echo.RemotePort).Should().Be((Lwip, (ushort)7));
    }

    [Test, Order(4)]
    public void A_megabyte_sent_to_tcp_echo_comes_back_with_the_same_sha256_and_a_fin()
    {
        var data = RandomNumberGenerator.GetBytes(1 << 20);
        var back = World.Exchange(Lwip, 7, data);
        back.Length.Should().Be(data.Length);
        Convert.ToHexString(SHA256.HashData(back)).Should().Be(Convert.ToHexString(SHA256.HashData(data)));
    }

    [Test, Order(5)]
    public void Tcp_discard_takes_a_megabyte_returns_nothing_and_closes_after_our_fin()
    {
        var back = World.Exchange(Lwip, 9, RandomNumberGenerator.GetBytes(1 << 20));
        back.Should().BeEmpty();
    }

    [Test, Order(6)]
    public void A_syn_to_a_closed_port_is_refused_with_a_reset()
    {
        World.ConnectError(Lwip, 8).Should().Be(SocketError.ConnectionRefused);
    }

    [Test, Order(7)]
    public void The_recording_passes_tshark_and_holds_frames_from_both_sides()
    {
        RequiredTools.Require("tshark");
        World.Host.IsRunning.Should().BeTrue(World.Host.Output);
        (World.Forwarder.FramesAToB, World.Forwarder.FramesBToA).Should().Match<(long, long)>(f => f.Item1 > 100 && f.Item2 > 100);
        var host = World.Host;
        _world!.Dispose();
        _world = null;
        host.Leftovers().Should().BeEmpty("disposing ends every process of the host and deletes its namespace");
        TsharkCheck.FindProblems(_recording, 7, 9).Should().BeEmpty();
        // Nothing lwIP sent before the run started is lost: its announcement on coming up is on the wire. Whether it
        // also answers our request depends on whether that announcement reached our stack first.
        var arp = string.Join('\n', TsharkCheck.Frames(_recording, "arp"));
        TsharkCheck.Frames(_recording, "arp.opcode == 1 && arp.src.proto_ipv4 == 10.66.0.2 && arp.dst.proto_ipv4 == 10.66.0.2")
            .Should().ContainSingle(arp);
        TsharkCheck.Frames(_recording, "arp.src.proto_ipv4 == 10.66.0.2 && !(eth.src == 02:00:00:66:00:02 && arp.src.hw_mac == 02:00:00:66:00:02)")
            .Should().BeEmpty(arp);
        TsharkCheck.Frames(_recording, "tcp.flags.reset == 1 && tcp.srcport == 8").Should().ContainSingle();
    }
}
