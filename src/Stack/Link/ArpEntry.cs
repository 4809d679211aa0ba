using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Link;

/// <summary>One IPv4 neighbour: its MAC once known, its expiry, and the packets waiting for it.</summary>
public sealed class ArpEntry : NeighborCacheEntry<Ipv4Address, ArpEntryState>
{
    internal ArpEntry(Ipv4Address address) : base(address) { }

    /// <summary>When a reachable entry stops being trusted (<see cref="ArpOptions.EntryLifetime"/> after it was last
    /// confirmed).</summary>
    public Instant ExpiresAt { get; internal set; }
    /// <summary>Requests sent in the current resolution, up to <see cref="ArpOptions.MaxRequests"/>.</summary>
    public int RequestsSent { get; internal set; }
    /// <summary>Set while a refresh request is outstanding for a reachable entry.</summary>
    internal bool Refreshing;
}
