using FluentAssertions;
using Netstack.Harness.Linux;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tap;

/// <summary>Named third-party stacks: what each can play is checked before anything is started.</summary>
[TestFixture]
public class KnownExternalStacksTests
{
    private static readonly Ipv4Cidr Gateway = new(Ipv4Address.Parse("10.0.2.2"), 24);
    private static readonly MacAddress SlirpMac = MacAddress.Parse("52:55:0a:00:02:02");

    [Test]
    public void Slirp_plays_its_gateway_with_the_address_derived_mac_on_its_own_tap()
    {
        var spec = KnownExternalStacks.For("slirp", SlirpMac, Gateway, 1400);
        (spec.Interface, spec.Address, spec.Mac, spec.Mtu).Should().Be(("slirp0", Gateway, SlirpMac, 1400));
        spec.Command.Should().EndWith("scripts/slirp-host.sh'");
        spec.Problem().Should().BeNull();
    }

    [Test]
    public void Slirp_refuses_a_host_address_that_is_not_network_plus_2()
    {
        var act = () => KnownExternalStacks.For("slirp", SlirpMac, new Ipv4Cidr(Ipv4Address.Parse("10.0.2.5"), 24), 1500);
        act.Should().Throw<ArgumentException>().WithMessage("*always the network address + 2 (10.0.2.2/24), not 10.0.2.5*");
    }

    [Test]
    public void Slirp_refuses_a_mac_it_cannot_have()
    {
        var act = () => KnownExternalStacks.For("slirp", MacAddress.Parse("02:00:00:00:00:02"), Gateway, 1500);
        act.Should().Throw<ArgumentException>().WithMessage("*always has MAC 52:55:0a:00:02:02, not 02:00:00:00:00:02*");
    }

    [Test]
    public void An_unknown_stack_is_named_with_the_known_ones()
    {
        var act = () => KnownExternalStacks.For("picotcp", SlirpMac, Gateway, 1500);
        act.Should().Throw<ArgumentException>().WithMessage("unknown external stack 'picotcp' (known: lwip, slirp, ours-tap)*");
    }

    [Test]
    public void A_spec_says_what_is_wrong_with_it()
    {
        var spec = new ExternalHostSpec("run-it", "lwip0", Gateway, SlirpMac, 1500);
        (spec with { Interface = "a-name-longer-than-15" }).Problem().Should().Contain("not a Linux interface name");
        (spec with { Interface = ExternalStackHost.OurTapName }).Problem().Should().Contain("taken by the harness");
        (spec with { Mtu = 100 }).Problem().Should().Contain("MTU 100");
        (spec with { Environment = new Dictionary<string, string> { ["HARNESS_MAC"] = "x" } }).Problem()
            .Should().Contain("HARNESS_MAC");
        (spec with { Command = " " }).Problem().Should().Be("the command is empty");
        spec.Problem().Should().BeNull();
    }

    [Test]
    public void The_command_gets_the_hosts_configuration_and_its_marker_in_its_environment()
    {
        var spec = new ExternalHostSpec("run-it", "lwip0", new Ipv4Cidr(Ipv4Address.Parse("10.66.0.2"), 20),
            MacAddress.Parse("02:00:00:66:00:02"), 1400) { Gateway = Ipv4Address.Parse("10.66.0.1") };
        spec.Variables("nsext1x1").Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["HARNESS_IFNAME"] = "lwip0",
            ["HARNESS_ADDRESS"] = "10.66.0.2/20",
            ["HARNESS_NETMASK"] = "255.255.240.0",
            ["HARNESS_GATEWAY"] = "10.66.0.1",
            ["HARNESS_MAC"] = "02:00:00:66:00:02",
            ["HARNESS_MTU"] = "1400",
            ["HARNESS_NETNS"] = "nsext1x1",
        });
    }
}
