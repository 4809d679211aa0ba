using Netstack.Time;

namespace Netstack.Link;

/// <summary>Neighbor Discovery timing and limits (RFC 4861 §10 constants; a Router Advertisement may change the
/// reachable time and retransmission timer).</summary>
public sealed record NeighborDiscoveryOptions
{
    /// <summary>Multicast solicitations for an unresolved address before giving up (MAX_MULTICAST_SOLICIT).</summary>
    public int MaxMulticastSolicitations { get; init; } = 3;
    /// <summary>Unicast probes of a stale neighbour before it is deleted (MAX_UNICAST_SOLICIT).</summary>
    public int MaxUnicastSolicitations { get; init; } = 3;
    /// <summary>Wait between solicitations (RetransTimer).</summary>
    public Duration RetransmitInterval { get; init; } = Duration.FromSeconds(1);
    /// <summary>How long a confirmed neighbour stays REACHABLE (BaseReachableTime; each entry gets 0.5–1.5 times it,
    /// drawn from the stack's seeded random source).</summary>
    public Duration BaseReachableTime { get; init; } = Duration.FromSeconds(30);
    /// <summary>How long a neighbour stays in DELAY before it is probed (DELAY_FIRST_PROBE_TIME).</summary>
    public Duration DelayFirstProbeTime { get; init; } = Duration.FromSeconds(5);
    /// <summary>Packets held per unresolved neighbour; overflow is dropped.</summary>
    public int PendingQueueLimit { get; init; } = 16;
    /// <summary>Most entries in the cache, so a flood of solicitations or of packets to new neighbours cannot grow it
    /// without bound.</summary>
    public int MaxEntries { get; init; } = 1024;
}
