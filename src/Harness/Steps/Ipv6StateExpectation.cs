using Netstack.Wire;

namespace Netstack.Harness.Steps;

/// <summary>What the IPv6 expectations of a host's state share: the host, the address they are about (an entry of
/// its neighbour cache, or one of its own addresses), and <c>state: none</c> for its absence. The host's driver
/// reads the state (<see cref="Hosts.HostAbility.Ipv6State"/>): our stack's tables, or the kernel's.</summary>
public abstract class Ipv6StateExpectation : StateExpectation
{
    public required string Host { get; init; }
    public required Ipv6Address Address { get; init; }
    /// <summary><c>state: none</c>: the host has nothing for <see cref="Address"/>.</summary>
    public bool Absent { get; init; }
}
