using FluentAssertions;
using Netstack.Harness.Hosts;
using Netstack.Harness.Linux;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>How the kernel's IPv6 tables read as the neighbor-cache and ip6-address expectations see them: lines as
/// <c>ip -6 neigh show dev D</c> and <c>ip -6 -o addr show dev D</c> print them (iproute2; the first lines of each
/// were captured from this machine's kernel, a tap in a namespace, 1 Dec 2026).</summary>
public class KernelIpv6StateTests
{
    [Test]
    public void Neighbour_lines_give_state_mac_and_router_flag()
    {
        var entries = KernelIpv6State.ParseNeighbors("""
            2001:db8::a lladdr 02:00:00:00:00:0a router REACHABLE 
            fe80::1 lladdr 02:00:00:00:00:01 STALE 
            2001:db8::e INCOMPLETE
            2001:db8::f FAILED

            """);

        entries.Should().Equal(
            new Ipv6NeighborView(Ipv6Address.Parse("2001:db8::a"), "reachable", MacAddress.Parse("02:00:00:00:00:0a"), true),
            new Ipv6NeighborView(Ipv6Address.Parse("2001:db8::e"), "incomplete", null, false),
            new Ipv6NeighborView(Ipv6Address.Parse("2001:db8::f"), "failed", null, false),
            new Ipv6NeighborView(Ipv6Address.Parse("fe80::1"), "stale", MacAddress.Parse("02:00:00:00:00:01"), false));
    }

    [Test]
    public void Address_lines_give_the_detection_state_and_origin()
    {
        var addresses = KernelIpv6State.ParseAddresses("""
            2: t0    inet6 2001:db8::c/64 scope global nodad \       valid_lft forever preferred_lft forever
            2: t0    inet6 2001:db8::b/64 scope global tentative \       valid_lft forever preferred_lft forever
            2: tap0    inet6 2001:db8::d/64 scope global tentative dadfailed \       valid_lft forever preferred_lft forever
            2: tap0    inet6 2001:db8:1::ff:fe00:b/64 scope global dynamic mngtmpaddr \       valid_lft 86394sec preferred_lft 14394sec
            2: tap0    inet6 2001:db8:2::ff:fe00:b/64 scope global deprecated dynamic \       valid_lft 60sec preferred_lft 0sec
            2: tap0    inet6 fe80::ff:fe00:b/64 scope link \       valid_lft forever preferred_lft forever
            """);

        addresses.Select(a => a.ToString()).Should().Equal(
            "2001:db8::c/64 preferred (static)",
            "2001:db8::b/64 tentative (static)",
            "2001:db8::d/64 duplicate (static)",
            "2001:db8:1::ff:fe00:b/64 preferred (slaac)",
            "2001:db8:2::ff:fe00:b/64 deprecated (slaac)",
            "fe80::ff:fe00:b/64 preferred (link-local)");
    }
}
