using Netstack.Network.Ipv6;
using Netstack.Wire;

namespace Netstack.Harness.Steps;

/// <summary>What the IPv6 expectations of a host's state share: the host, the address they are about (an entry of
/// its neighbour cache, or one of its own addresses), <c>state: none</c> for its absence, and the host's IPv6
/// interfaces to look in.</summary>
public abstract class Ipv6StateExpectation : StateExpectation
{
    public required string Host { get; init; }
    public required Ipv6Address Address { get; init; }
    /// <summary><c>state: none</c>: the host has nothing for <see cref="Address"/>.</summary>
    public bool Absent { get; init; }

    protected static IEnumerable<Ipv6Interface> Ipv6Interfaces(NetworkStack stack) =>
        stack.Interfaces.Where(i => i.Ipv6 is not null).Select(i => i.Ipv6!);
}
