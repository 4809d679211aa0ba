using Netstack.Link;
using Netstack.Wire;

namespace Netstack.Network;

/// <summary>A routing table entry: destinations in Prefix go out Interface, via Gateway when one is set
/// (otherwise the destination is on-link).</summary>
/// <param name="Prefix">Destinations this route covers.</param>
/// <param name="Interface">Interface the datagrams leave through.</param>
/// <param name="Gateway">Next-hop router on that interface; null when destinations are on-link.</param>
public sealed record Route(Ipv4Cidr Prefix, NetworkInterface Interface, Ipv4Address? Gateway = null)
{
    /// <summary>The route as `ip route` prints it, e.g. "0.0.0.0/0 dev eth0 via 192.0.2.1".</summary>
    public override string ToString() =>
        $"{Prefix.Network}/{Prefix.PrefixLength} dev {Interface.Name}" + (Gateway is { } g ? $" via {g}" : "");
}
