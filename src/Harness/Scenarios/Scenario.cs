using Netstack.Harness.Steps;
using Netstack.Wire;
using Netstack.Time;

namespace Netstack.Harness.Scenarios;

/// <summary>A loaded, validated scenario: the world to build and the steps to play in virtual time.</summary>
public sealed class Scenario
{
    /// <summary>The segment name used when a file has a single <c>wire:</c> instead of <c>segments:</c>.</summary>
    public const string DefaultSegment = "lan";

    public required string Name { get; init; }
    public required string File { get; init; }
    public string? Description { get; init; }
    public ulong Seed { get; init; } = 1;
    /// <summary>The scenario's <c>timeout:</c> when it writes none.</summary>
    public static readonly Duration DefaultTimeout = Duration.FromSeconds(60);
    /// <summary>The latest virtual time the run may reach: waits give up here, and settling stops here.</summary>
    public Duration Timeout { get; init; } = DefaultTimeout;
    public required IReadOnlyList<SegmentSpec> Segments { get; init; }
    public required IReadOnlyList<HostSpec> Hosts { get; init; }
    public required IReadOnlyList<Step> Steps { get; init; }
    /// <summary>Faults applied on the wire, tried in this order.</summary>
    public IReadOnlyList<Netstack.Harness.Faults.FaultRule> Faults { get; init; } = [];

    /// <summary>Hosts under <c>strict:</c>: a TCP segment they send that no expectation takes, in order, fails.</summary>
    public IReadOnlySet<string> StrictHosts { get; init; } = new HashSet<string>();

    public HostSpec? FindHost(string name) => Hosts.FirstOrDefault(h => h.Name == name);

    /// <summary>The host the Linux kernel plays on the tap wire, if the scenario has one.</summary>
    public HostSpec? LinuxHost => Hosts.FirstOrDefault(h => h.PlayedByLinux);

    /// <summary>The hosts an external implementation plays (on the tap wire only).</summary>
    public IEnumerable<HostSpec> ExternalHosts => Hosts.Where(h => h.PlayedBy == HostPlayer.External);

    /// <summary>Whether something other than our stack plays a host on the tap wire (Linux or an external stack).</summary>
    public bool HasRealWireHost => Hosts.Any(h => h.PlayedBy != HostPlayer.Stack);
}

public sealed record SegmentSpec(string Name, Duration Latency, long BandwidthBitsPerSecond, int Mtu);

public sealed record InterfaceSpec(string Segment, MacAddress Mac, Ipv4Cidr Address, int? Mtu)
{
    /// <summary><c>ip6: 2001:db8::10/64</c>: IPv6 is enabled on the interface (link-local address, duplicate address
    /// detection, MLDv2, router solicitation) with this static address too; null keeps the interface IPv4-only.</summary>
    public Ipv6Cidr? Ipv6 { get; init; }

    /// <summary><c>ip6: slaac</c>: IPv6 is enabled with the link-local address only; global addresses come from
    /// the prefixes of router advertisements (RFC 4862), each after duplicate address detection.</summary>
    public bool Ipv6Slaac { get; init; }

    /// <summary>Whether IPv6 is on for the interface (a static address or SLAAC).</summary>
    public bool HasIpv6 => Ipv6 is not null || Ipv6Slaac;
}

/// <summary>A route as <c>ip route</c> writes it: <c>10.0.0.0/8 via 192.0.2.1</c>.</summary>
public sealed record RouteSpec(Ipv4Cidr Prefix, Ipv4Address Gateway, SourceLocation Location);

public sealed record HostSpec(
    string Name,
    IReadOnlyList<InterfaceSpec> Interfaces,
    IReadOnlyList<RouteSpec> Routes,
    bool Forwarding,
    bool GratuitousArp,
    byte? TimeToLive,
    SourceLocation Location)
{
    /// <summary>A scripted peer: no stack, it sends only what <c>inject</c> steps say (packetdrill style).</summary>
    public bool Scripted { get; init; }

    /// <summary>Who plays this host (<c>played-by:</c>). Linux plays it on the tap wire (in a namespace made for the
    /// run); on the virtual wire another instance of our stack does. Its state cannot be inspected, only its traffic
    /// and what its sockets receive. An external implementation plays it only on the tap wire.</summary>
    public HostPlayer PlayedBy { get; init; }

    /// <summary>The implementation when <see cref="PlayedBy"/> is <see cref="HostPlayer.External"/>.</summary>
    public ExternalPlayer? External { get; init; }

    /// <summary>The services it offers the other hosts (<c>services:</c>), whoever plays it.</summary>
    public IReadOnlyList<ServiceSpec> Services { get; init; } = [];

    public bool PlayedByLinux => PlayedBy == HostPlayer.Linux;

    /// <summary><c>dad:</c> whether its IPv6 addresses go through duplicate address detection (RFC 4862 §5.4, one
    /// probe) before use. Default: yes, except on a host Linux plays with a static <c>ip6</c> address, which is
    /// quiet (usable at once) unless the scenario says <c>dad: true</c>.</summary>
    public bool DuplicateAddressDetection { get; init; } = true;

    /// <summary>The TCP defaults our stack runs with when it plays this host (<c>personality: rfc | linux |
    /// freebsd</c>); per-host settings apply on top. Ignored when the kernel or an external stack plays it.</summary>
    public Netstack.Transport.Tcp.TcpPersonality Personality { get; init; }

    /// <summary>Settings of its stack that replace the defaults (<c>stack: { arp: {...}, tcp: {...} }</c>), applied
    /// last, over anything else that decided them.</summary>
    public StackSettings Stack { get; init; } = StackSettings.None;

    /// <summary>Who plays it, in words: "our stack", "linux", "lwip", or the command.</summary>
    public string PlayerTitle => PlayedBy switch
    {
        HostPlayer.Linux => "linux",
        HostPlayer.External => External!.Title,
        _ => "our stack",
    };

    public bool HasAddress(Ipv4Address address) => Interfaces.Any(i => i.Address.Address == address);
}
