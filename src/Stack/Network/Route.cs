using Netstack.Link;
using Netstack.Wire;

namespace Netstack.Network;

/// <summary>A routing table entry: destinations in Prefix go out Interface, via Gateway when one is set
/// (otherwise the destination is on-link).</summary>
public sealed record Route(Ipv4Cidr Prefix, NetworkInterface Interface, Ipv4Address? Gateway = null)
{
    public override string ToString() =>
        $"{Prefix.Network}/{Prefix.PrefixLength} dev {Interface.Name}" + (Gateway is { } g ? $" via {g}" : "");
}
