using Netstack.Wire;

namespace Netstack.Harness.Hosts;

/// <summary>An entry of a host's IPv6 neighbour cache as the <c>neighbor-cache</c> expectation reads it, from our
/// stack's table or the kernel's (<c>ip -6 neigh</c>). <paramref name="State"/> is the state's name in lower case:
/// incomplete, reachable, stale, delay, probe (RFC 4861 §7.3.2), or what else the kernel shows (failed, permanent).</summary>
public sealed record Ipv6NeighborView(Ipv6Address Address, string State, MacAddress? Mac, bool IsRouter)
{
    public override string ToString() =>
        $"{Address} {State}{(Mac is { } m ? $" at {m}" : "")}{(IsRouter ? " router" : "")}";
}

/// <summary>One of a host's IPv6 addresses as the <c>ip6-address</c> expectation reads it: <paramref name="State"/>
/// is tentative, preferred or duplicate (RFC 4862 §5.4; the kernel's <c>tentative</c>, no flag, <c>dadfailed</c>),
/// or deprecated; <paramref name="Origin"/> is slaac (the kernel's <c>dynamic</c>) or static.</summary>
public sealed record Ipv6AddressView(Ipv6Address Address, int PrefixLength, string State, string Origin)
{
    public override string ToString() => $"{Address}/{PrefixLength} {State} ({Origin})";
}
