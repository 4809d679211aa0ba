namespace Netstack.Harness.Scenarios;

/// <summary>A UDP (later TCP) socket named the way scenarios write it: <c>host:port</c>.</summary>
public readonly record struct SocketName(string Host, ushort Port)
{
    public override string ToString() => $"{Host}:{Port}";
}

/// <summary>A remote end written as <c>host:port</c> or <c>192.0.2.11:port</c>; the host form is resolved to
/// that host's first address when the world is built.</summary>
public readonly record struct RemoteEndpoint(AddressRef Address, ushort Port)
{
    public override string ToString() => $"{Address}:{Port}";
}

/// <summary>An IPv4 address written literally or as a host name (meaning that host's first address); where a step
/// accepts IPv6 (ping), an IPv6 literal or <c>host/ip6</c>, held in <see cref="Ipv6"/>.</summary>
public readonly record struct AddressRef(string Text, Netstack.Wire.Ipv4Address Address)
{
    /// <summary>The IPv6 address meant, or null for an IPv4 one.</summary>
    public Netstack.Wire.Ipv6Address? Ipv6 { get; init; }

    public override string ToString() => Text;
}
