namespace Netstack.Harness.Scenarios;

/// <summary>A UDP (later TCP) socket named the way scenarios write it: <c>host:port</c>.</summary>
public readonly record struct SocketName(string Host, ushort Port)
{
    public override string ToString() => $"{Host}:{Port}";
}

/// <summary>A remote end written as <c>host:port</c> or <c>192.0.2.11:port</c>, or over IPv6 as
/// <c>host/ip6:port</c> or <c>[2001:db8::b]:port</c>; a host name is resolved to that host's first address of the
/// family.</summary>
public readonly record struct RemoteEndpoint(AddressRef Address, ushort Port)
{
    public override string ToString() => Address.Ipv6 is not null && !Address.Text.EndsWith("/ip6", StringComparison.Ordinal)
        ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
}

/// <summary>An IPv4 address written literally or as a host name (meaning that host's first address); where a step
/// accepts IPv6 (ping, UDP and TCP ends), an IPv6 literal or <c>host/ip6</c>, held in <see cref="Ipv6"/>.</summary>
public readonly record struct AddressRef(string Text, Netstack.Wire.Ipv4Address Address)
{
    /// <summary>The IPv6 address meant, or null for an IPv4 one.</summary>
    public Netstack.Wire.Ipv6Address? Ipv6 { get; init; }

    /// <summary>The address meant, of either family.</summary>
    public Netstack.Wire.IpAddress Ip => Ipv6 is { } v6 ? v6 : Address;

    public override string ToString() => Text;
}
