using Netstack.Link;
using Netstack.Network;
using Netstack.Transport.Tcp;

namespace Netstack;

/// <summary>Everything tunable about one stack instance.</summary>
public sealed record StackOptions
{
    /// <summary>ARP cache timing and limits.</summary>
    public ArpOptions Arp { get; init; } = new();
    /// <summary>IPv4 forwarding, TTL and reassembly limits.</summary>
    public Ipv4Options Ipv4 { get; init; } = new();
    /// <summary>ICMP error rate limiting.</summary>
    public IcmpOptions Icmp { get; init; } = new();
    /// <summary>TCP defaults applied to every connection (buffers, timers, options).</summary>
    public TcpSettings Tcp { get; init; } = new();
    /// <summary>IPv6 hop limit, reassembly, autoconfiguration and path MTU.</summary>
    public Network.Ipv6.Ipv6Options Ipv6 { get; init; } = new();
    /// <summary>IPv6 Neighbor Discovery timing and limits.</summary>
    public NeighborDiscoveryOptions NeighborDiscovery { get; init; } = new();
}
