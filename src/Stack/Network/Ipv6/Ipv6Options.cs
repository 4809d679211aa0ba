using Netstack.Time;

namespace Netstack.Network.Ipv6;

/// <summary>IPv6 tunables: hop limit, reassembly limits, address autoconfiguration and path MTU. Defaults follow
/// RFC 8200, RFC 4862 and Linux.</summary>
public sealed record Ipv6Options : IReassemblyLimits
{
    /// <summary>Hop Limit of the packets we originate until a router advertises another (64, as Linux).</summary>
    public byte DefaultHopLimit { get; init; } = 64;
    /// <summary>How long fragments of an incomplete packet are kept (RFC 8200 §4.5: 60 s).</summary>
    public Duration ReassemblyTimeout { get; init; } = Duration.FromSeconds(60);
    /// <summary>Bytes of reassembly buffers held at once; beyond it new fragments are dropped.</summary>
    public int ReassemblyMemoryLimit { get; init; } = 4 * 1024 * 1024;
    /// <summary>Packets being reassembled at once.</summary>
    public int MaxReassemblies { get; init; } = 256;
    /// <summary>Neighbor Solicitations sent to detect a duplicate before an address is used (RFC 4862
    /// DupAddrDetectTransmits); 0 takes addresses into use at once.</summary>
    public int DuplicateAddressDetectTransmits { get; init; } = 1;
    /// <summary>Learn prefixes, addresses and default routers from Router Advertisements, and solicit them.</summary>
    public bool AcceptRouterAdvertisements { get; init; } = true;
    /// <summary>Router Solicitations sent before giving up (RFC 4861 MAX_RTR_SOLICITATIONS).</summary>
    public int MaxRouterSolicitations { get; init; } = 3;
    /// <summary>Wait between Router Solicitations (RFC 4861 RTR_SOLICITATION_INTERVAL).</summary>
    public Duration RouterSolicitationInterval { get; init; } = Duration.FromSeconds(4);
    /// <summary>Send MLDv2 reports for the groups joined (solicited-node groups of our addresses), so snooping switches
    /// keep delivering solicitations (RFC 3810).</summary>
    public bool SendMldReports { get; init; } = true;
    /// <summary>How long a path MTU learned from Packet Too Big holds before the link MTU is tried again (RFC 8201
    /// §4: at least 5 minutes, 10 recommended).</summary>
    public Duration PathMtuTimeout { get; init; } = Duration.FromMinutes(10);
    /// <summary>Path MTU estimates kept; the oldest is forgotten beyond it, so forged Packet Too Big messages cannot
    /// grow the cache without bound.</summary>
    public int MaxPathMtuEntries { get; init; } = 1024;
    /// <summary>Destinations with a next hop learned from a Redirect; the oldest is forgotten beyond it, so a flood of
    /// redirects for distinct destinations cannot grow the cache without bound.</summary>
    public int MaxRedirectEntries { get; init; } = 1024;
    /// <summary>How long a next hop learned from a Redirect holds. RFC 4861 gives Redirect-created Destination Cache
    /// entries no lifetime of their own and lets a node discard Destination Cache entries (§5.3, garbage collection),
    /// after which next-hop determination (§5.2) sends the destination to a default router again, which may redirect
    /// anew. 10 minutes, as FreeBSD's ICMPv6 redirect timeout and our <see cref="PathMtuTimeout"/>: a router that
    /// stops redirecting (its better first hop gone) is back in use within that.</summary>
    public Duration RedirectLifetime { get; init; } = Duration.FromMinutes(10);
}
