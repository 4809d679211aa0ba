namespace Netstack.Wire;

/// <summary>An address of either family, for what serves both (connection four-tuples, dual-stack sockets):
/// held as an <see cref="Ipv6Address"/>, IPv4 as its IPv4-mapped form ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), so it is
/// one 16-byte value with plain equality. Converts implicitly from either family.</summary>
/// <param name="Value">The address; IPv4 addresses are IPv4-mapped.</param>
public readonly record struct IpAddress(Ipv6Address Value)
{
    /// <summary>True when this is an IPv4 address.</summary>
    public bool IsIpv4 => Value.IsIpv4Mapped;
    /// <summary>The IPv4 address (its low 32 bits); meaningful only when <see cref="IsIpv4"/>.</summary>
    public Ipv4Address Ipv4 => new((uint)Value.Low);
    /// <summary>The IPv6 address; meaningful only when not <see cref="IsIpv4"/>.</summary>
    public Ipv6Address Ipv6 => Value;

    /// <summary>An IPv4 address as ::ffff:a.b.c.d.</summary>
    public static implicit operator IpAddress(Ipv4Address a) => new(new Ipv6Address(0, 0xFFFF_0000_0000UL | a.Value));
    /// <summary>An IPv6 address as itself.</summary>
    public static implicit operator IpAddress(Ipv6Address a) => new(a);

    /// <summary>Converts a <see cref="System.Net.IPAddress"/> of either family.</summary>
    /// <exception cref="ArgumentException"><paramref name="ip"/> is neither IPv4 nor IPv6.</exception>
    public static IpAddress FromSystem(System.Net.IPAddress ip) =>
        ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? Ipv4Address.FromSystem(ip)
        : ip.IsIPv4MappedToIPv6 ? Ipv4Address.FromSystem(ip.MapToIPv4()) : Ipv6Address.FromSystem(ip);

    /// <summary>Converts to a <see cref="System.Net.IPAddress"/> of the address's own family.</summary>
    public System.Net.IPAddress ToSystem() => IsIpv4 ? Ipv4.ToSystem() : Value.ToSystem();

    /// <summary>Dotted quad for IPv4, RFC 5952 text for IPv6.</summary>
    public override string ToString() => IsIpv4 ? Ipv4.ToString() : Value.ToString();
}
