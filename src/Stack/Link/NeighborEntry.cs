using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Link;

/// <summary>One IPv6 neighbour: its MAC once known, its state, and the packets waiting for it.</summary>
public sealed class NeighborEntry : NeighborCacheEntry<Ipv6Address, NeighborState>
{
    internal NeighborEntry(Ipv6Address address) : base(address) { }

    /// <summary>The neighbour said it is a router (R flag, or it sent a Router Advertisement).</summary>
    public bool IsRouter { get; internal set; }
    /// <summary>Solicitations sent in the current resolution or probe.</summary>
    public int SolicitationsSent { get; internal set; }
    /// <summary>When the entry last changed state or was confirmed, for eviction.</summary>
    public Instant UpdatedAt { get; internal set; }
    /// <summary>The source of the packet that started the resolution, used as the solicitations' source.</summary>
    internal Ipv6Address SolicitSource;

    /// <summary>Address, state and MAC, e.g. "fe80::1 reachable 02:00:00:00:00:14".</summary>
    public override string ToString() => $"{Address} {State.ToString().ToLowerInvariant()} {Mac}";
}
