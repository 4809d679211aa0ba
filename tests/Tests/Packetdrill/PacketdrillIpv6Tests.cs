using FluentAssertions;
using Netstack.Harness.Packetdrill.Execution;
using Netstack.Harness.Running;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Packetdrill;

/// <summary>.pkt scripts with <c>--ip_version=ipv6</c> and <c>ipv4-mapped-ipv6</c> on our stack (virtual wire): the
/// packets are IPv6 between packetdrill's default addresses, address options are checked by family, and what the
/// runner cannot do under IPv6 is a located error. The shipped ipv6-*.pkt scripts run in PacketdrillRunTests.</summary>
public class PacketdrillIpv6Tests
{
    private const string PassiveOpen = """
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 bind(3, ..., ...) = 0
        +0 listen(3, 1) = 0
        +0 < S 0:0(0) win 8192 <mss 1460>
        +0 > S. 0:0(0) ack 1 <...>
        +.01 < . 1:1(0) ack 1 win 8192
        +0 accept(3, ..., ...) = 4
        +0 write(4, ..., 10) = 10
        +0 > P. 1:11(10) ack 1

        """;

    private static LoadedScript Load(string text)
    {
        var file = Path.Combine(RepositoryPaths.FreshOutputDirectory("pkt-ipv6"), "t.pkt");
        File.WriteAllText(file, text);
        return LoadedScript.Load(file);
    }

    private static ScenarioResult Run(string text)
    {
        var script = Load(text);
        script.Errors.Should().BeEmpty();
        return PacketdrillRunner.Run(script, new RunOptions { OutputDirectory = null });
    }

    private static List<TcpView> Segments(ScenarioResult result) =>
        result.Recording.Frames.Select(f => TcpView.Read(f.Bytes)).OfType<TcpView>().ToList();

    [Test]
    public void Ipv6_segments_run_between_packetdrills_default_addresses()
    {
        var result = Run("--ip_version=ipv6\n" + PassiveOpen);

        result.Passed.Should().BeTrue(result.FailureMessage);
        var segments = Segments(result);
        segments.Should().HaveCount(4);
        segments.Should().OnlyContain(s => !s.Source.IsIpv4 && !s.Destination.IsIpv4);
        segments[1].Source.Should().Be((IpAddress)Ipv6Address.Parse("fd3d:fa7b:d17d::1"), "the SYN-ACK comes from the local host");
        segments[1].Destination.Should().Be((IpAddress)Ipv6Address.Parse("2001:db8::1"));
    }

    [Test]
    public void Address_options_move_both_ends()
    {
        var result = Run("--ip_version=ipv6\n--local_ip=2001:db8:1::5\n--gateway_ip=2001:db8:1::1\n--remote_ip=2001:db8:2::7/64\n" + PassiveOpen);

        result.Passed.Should().BeTrue(result.FailureMessage);
        var synAck = Segments(result)[1];
        synAck.Source.Should().Be((IpAddress)Ipv6Address.Parse("2001:db8:1::5"));
        synAck.Destination.Should().Be((IpAddress)Ipv6Address.Parse("2001:db8:2::7"));
    }

    [Test]
    public void Ipv4_mapped_ipv6_runs_af_inet6_sockets_over_ipv4_packets()
    {
        var result = Run("--ip_version=ipv4-mapped-ipv6\n" + PassiveOpen.Replace("socket(...,", "socket(AF_INET6,"));

        result.Passed.Should().BeTrue(result.FailureMessage);
        Segments(result).Should().OnlyContain(s => s.Source.IsIpv4);
    }

    [Test]
    public void The_mss_follows_the_ipv6_header_and_mtu_option()
    {
        var result = Run("--ip_version=ipv6\n--mtu=1280\n" + PassiveOpen.Replace("> S. 0:0(0) ack 1 <...>", "> S. 0:0(0) ack 1 <mss 1220>"));

        result.Passed.Should().BeTrue(result.FailureMessage);
    }

    [Test]
    public void A_segment_sent_over_ipv6_is_compared_like_an_ipv4_one()
    {
        var result = Run("--ip_version=ipv6\n" + PassiveOpen.Replace("> P. 1:11(10) ack 1", "> P. 1:11(10) ack 2"));

        result.Passed.Should().BeFalse();
        result.FailureMessage.Should().Contain("t.pkt:10:1:").And.Contain("ack 1, expected 2");
    }

    [Test]
    public void An_outgoing_hop_limit_is_compared()
    {
        var result = Run("--ip_version=ipv6\n" + PassiveOpen.Replace("> P. 1:11(10) ack 1", "> (hlim 3) P. 1:11(10) ack 1"));

        result.Passed.Should().BeFalse();
        result.FailureMessage.Should().Contain("t.pkt:10:1:").And.Contain("hop limit 64, expected 3");
    }

    [TestCase("--ip_version=ipv6\n--local_ip=192.168.0.1\n", "t.pkt:2:1: --local_ip=192.168.0.1 is not an IPv6 address (--ip_version=ipv6)")]
    [TestCase("--remote_ip=2001:db8::1\n", "t.pkt:1:1: --remote_ip=2001:db8::1 is not an IPv4 address (--ip_version=ipv4)")]
    [TestCase("--ip_version=ipv6\n--mtu=1000\n", "t.pkt:2:1: --mtu=1000: a device MTU is 1280 (IPv6's minimum) to 65535")]
    public void A_wrong_address_or_mtu_is_a_located_error(string header, string error)
    {
        var script = Load(header + PassiveOpen);

        script.Analysis.Should().BeNull();
        script.Errors.Should().Contain(e => e.EndsWith(error, StringComparison.Ordinal));
    }
}
