using Netstack.Link;
using Netstack.Network;
using Netstack.Transport.Tcp;

namespace Netstack;

/// <summary>Everything tunable about one stack instance.</summary>
public sealed record StackOptions
{
    public ArpOptions Arp { get; init; } = new();
    public Ipv4Options Ipv4 { get; init; } = new();
    public IcmpOptions Icmp { get; init; } = new();
    public TcpSettings Tcp { get; init; } = new();
}
