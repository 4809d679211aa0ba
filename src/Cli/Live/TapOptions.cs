using System.Globalization;
using Netstack.Wire;
using Netstack.Time;

namespace Netstack.Cli.Live;

/// <summary>The validated options of `harness tap`: everything the live host needs to come up.</summary>
public sealed record TapOptions
{
    public required string Device { get; init; }
    public required Ipv4Cidr Address { get; init; }
    public MacAddress? Mac { get; init; }
    public Ipv4Address? Gateway { get; init; }
    /// <summary>IPv6 on the tap (<c>--ip6</c> given at least once): the link-local address always, these static
    /// addresses, and SLAAC addresses from the routers' advertisements.</summary>
    public bool Ipv6 { get; init; }
    /// <summary>Static IPv6 addresses (<c>--ip6 ADDR/PREFIX</c>); empty with <c>--ip6 auto</c>.</summary>
    public IReadOnlyList<Ipv6Cidr> Ipv6Addresses { get; init; } = [];
    public int? Mtu { get; init; }
    public IReadOnlyList<ServeSpec> Services { get; init; } = [];
    public HttpFetch? Fetch { get; init; }
    public SendSpec? Send { get; init; }
    public string? RecordPath { get; init; }
    /// <summary>virtio-net headers with checksum and TSO offload on the tap (large received segments).</summary>
    public bool Offload { get; init; }
    /// <summary>Join consecutive TCP segments read in one drain of the tap before the stack sees them (GRO); off
    /// with --no-coalesce, and whenever the session is recorded (the pcap keeps the frames as the kernel sent them).</summary>
    public bool Coalesce { get; init; } = true;
    public Duration? Duration { get; init; }
    public ConnectionLimits Limits { get; init; } = ConnectionLimits.Default;

    public static Ipv4Cidr ParseAddress(string text)
    {
        if (!text.Contains('/') || !Ipv4Cidr.TryParse(text, out var cidr) || cidr.PrefixLength is < 1 or > 32)
            throw new UsageException($"--ip {text}: expected an IPv4 address with prefix length, e.g. 10.0.0.2/24");
        return cidr;
    }

    /// <summary>One <c>--ip6</c> value: <c>auto</c> (null: link-local and SLAAC only) or a global or unique local
    /// unicast address with its prefix length.</summary>
    public static Ipv6Cidr? ParseIpv6Address(string text)
    {
        if (text == "auto") return null;
        if (!text.Contains('/') || !Ipv6Cidr.TryParse(text, out var cidr) || cidr.PrefixLength is < 1 or > 128)
            throw new UsageException($"--ip6 {text}: expected an IPv6 address with prefix length, e.g. 2001:db8::2/64, or 'auto'");
        var a = cidr.Address;
        if (a.IsMulticast || a.IsUnspecified || a.IsLoopback || a.IsIpv4Mapped)
            throw new UsageException($"--ip6 {text}: must be a unicast address");
        if (a.IsLinkLocal)
            throw new UsageException($"--ip6 {text}: the link-local address is formed from the MAC; give a global or unique local one");
        return cidr;
    }

    public static MacAddress ParseMac(string text)
    {
        if (!MacAddress.TryParse(text, out var mac))
            throw new UsageException($"--mac {text}: expected six hex bytes, e.g. 02:00:00:00:00:01");
        if (mac.IsMulticast || mac == MacAddress.Zero)
            throw new UsageException($"--mac {text}: must be a unicast address");
        return mac;
    }

    public static Ipv4Address ParseGateway(string text, Ipv4Cidr address)
    {
        if (!Ipv4Address.TryParse(text, out var gateway))
            throw new UsageException($"--gateway {text}: expected an IPv4 address");
        if (!gateway.IsInSubnet(address.Network, address.PrefixLength))
            throw new UsageException($"--gateway {text}: not on the directly connected network {address.Network}/{address.PrefixLength}");
        return gateway;
    }

    public static int ParseMtu(int mtu) => mtu is >= 576 and <= 65521
        ? mtu
        : throw new UsageException($"--mtu {mtu}: expected 576-65521");

    public static Duration ParseDuration(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && s < 1e7
            ? Netstack.Time.Duration.FromSeconds(s)
            : throw new UsageException($"--duration {text}: expected a positive number of seconds");

    /// <summary>A timeout in seconds for the served connections: positive, at most a day.</summary>
    public static Duration ParseTimeout(string option, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && s <= 86_400
            ? Netstack.Time.Duration.FromSeconds(s)
            : throw new UsageException($"{option} {text}: expected a number of seconds above 0 and at most 86400");

    public static int ParseMaxConnections(int n) => n is >= 1 and <= 1_000_000
        ? n
        : throw new UsageException($"--max-connections {n}: expected 1-1000000");

    /// <summary>A locally administered unicast MAC (02:xx:...) for when the user gives none.</summary>
    public static MacAddress RandomMac() =>
        new(0x02_00_0000_0000UL | ((ulong)Random.Shared.NextInt64() & 0xFF_FFFF_FFFFUL));
}
