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

/// <summary>An IPv4 address written literally or as a host name (meaning that host's first address).</summary>
public readonly record struct AddressRef(string Text, Netstack.Wire.Ipv4Address Address)
{
    public override string ToString() => Text;
}
