using System.Globalization;
using Netstack.Wire;

namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>packetdrill's <c>--ip_version</c>: which family the sockets are and which the packets on the wire.</summary>
public enum ScriptIpVersion
{
    /// <summary><c>ipv4</c> (the default): AF_INET sockets, IPv4 packets.</summary>
    Ipv4,
    /// <summary><c>ipv4-mapped-ipv6</c>: AF_INET6 sockets with IPv4-mapped addresses, IPv4 packets.</summary>
    Ipv4MappedIpv6,
    /// <summary><c>ipv6</c>: AF_INET6 sockets, IPv6 packets.</summary>
    Ipv6,
}

/// <summary>The addresses a script runs with, as packetdrill's config.c sets them up: the local host (the stack under
/// test), the remote (the scripted peer) and the gateway the local host reaches the remote through. IPv4 defaults:
/// 192.168.0.1/16 via 192.168.0.2 to 192.0.2.1. IPv6 defaults: an address in the unique local prefix
/// fd3d:fa7b:d17d::/48 (packetdrill draws one at random there; ours is fixed so recordings repeat), via
/// fd3d:fa7b:d17d:8888:: to 2001:db8::1 (RFC 3849's documentation prefix). <c>--local_ip</c>, <c>--remote_ip</c>
/// (a <c>/prefix</c> after it is the remote's route, ignored) and <c>--gateway_ip</c> override them.</summary>
public sealed record ScriptAddresses(ScriptIpVersion Version, IpAddress Local, IpAddress Remote, IpAddress Gateway, int PrefixLength)
{
    public static readonly Ipv6Address DefaultIpv6Local = Ipv6Address.Parse("fd3d:fa7b:d17d::1");
    public static readonly Ipv6Address DefaultIpv6Remote = Ipv6Address.Parse("2001:db8::1");
    public static readonly Ipv6Address DefaultIpv6Gateway = Ipv6Address.Parse("fd3d:fa7b:d17d:8888::");

    /// <summary>The packets on the wire are IPv6.</summary>
    public bool WireIsIpv6 => Version == ScriptIpVersion.Ipv6;

    /// <summary>The sockets are AF_INET6 (dual-mode: IPv4-mapped addresses under <c>ipv4-mapped-ipv6</c>).</summary>
    public bool SocketsAreIpv6 => Version != ScriptIpVersion.Ipv4;

    public Ipv4Address LocalIpv4 => Local.Ipv4;
    public Ipv6Address LocalIpv6 => Local.Ipv6;

    /// <summary>The version a script asks for; null for a value packetdrill does not know.</summary>
    public static ScriptIpVersion? VersionOf(string? value) => value switch
    {
        null or "ipv4" => ScriptIpVersion.Ipv4,
        "ipv4-mapped-ipv6" => ScriptIpVersion.Ipv4MappedIpv6,
        "ipv6" => ScriptIpVersion.Ipv6,
        _ => null,
    };

    /// <summary>The script's addresses; an address option that is not an address of the wire's family is a located
    /// error in <paramref name="errors"/> (and its default is used).</summary>
    public static ScriptAddresses Of(PacketdrillScript script, List<PacketdrillDiagnostic>? errors = null)
    {
        var version = VersionOf(script.Option("ip_version")?.Value) ?? ScriptIpVersion.Ipv4;
        bool v6 = version == ScriptIpVersion.Ipv6;
        IpAddress Read(string option, IpAddress fallback)
        {
            if (script.Option(option) is not { Value: { } text } given) return fallback;
            int slash = text.IndexOf('/', StringComparison.Ordinal);
            var address = slash >= 0 ? text[..slash] : text;
            if (v6 && Ipv6Address.TryParse(address, out var a6) && !a6.IsIpv4Mapped) return a6;
            if (!v6 && Ipv4Address.TryParse(address, out var a4)) return a4;
            errors?.Add(new PacketdrillDiagnostic(given.Location, $"--{option}={text} is not an {(v6 ? "IPv6" : "IPv4")} address (--ip_version={(v6 ? "ipv6" : "ipv4")})"));
            return fallback;
        }
        if (v6)
            return new ScriptAddresses(version, Read("local_ip", DefaultIpv6Local), Read("remote_ip", DefaultIpv6Remote),
                Read("gateway_ip", DefaultIpv6Gateway), 48);
        var local = Read("local_ip", Ipv4Address.Parse("192.168.0.1")).Ipv4;
        // The gateway is .2 of the local /16 (the scripted peer answers ARP for it).
        var gateway = Read("gateway_ip", new Ipv4Address((local.Value & 0xFFFF0000u) | 2u));
        return new ScriptAddresses(version, local, Read("remote_ip", Ipv4Address.Parse("192.0.2.1")), gateway, 16);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Local} via {Gateway} to {Remote}");
}
