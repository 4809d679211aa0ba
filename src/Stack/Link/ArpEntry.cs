using Netstack.Buffers;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Link;

/// <summary>Where an <see cref="ArpEntry"/> is in resolution.</summary>
public enum ArpEntryState
{
    /// <summary>Requests are out; packets wait in the entry's queue.</summary>
    Incomplete,
    /// <summary>The MAC is known and trusted until <see cref="ArpEntry.ExpiresAt"/>.</summary>
    Reachable,
}

/// <summary>One neighbour: its MAC once known, its expiry, and the packets waiting for it.</summary>
public sealed class ArpEntry
{
    internal ArpEntry(Ipv4Address address) => Address = address;

    /// <summary>The neighbour's IPv4 address (the cache key).</summary>
    public Ipv4Address Address { get; }
    /// <summary>Whether the MAC is known yet.</summary>
    public ArpEntryState State { get; internal set; }
    /// <summary>The neighbour's MAC address; meaningful only when <see cref="State"/> is
    /// <see cref="ArpEntryState.Reachable"/>.</summary>
    public MacAddress Mac { get; internal set; }
    /// <summary>When a reachable entry stops being trusted (<see cref="ArpOptions.EntryLifetime"/> after it was last
    /// confirmed).</summary>
    public Instant ExpiresAt { get; internal set; }
    /// <summary>Requests sent in the current resolution, up to <see cref="ArpOptions.MaxRequests"/>.</summary>
    public int RequestsSent { get; internal set; }
    /// <summary>Set while a refresh request is outstanding for a reachable entry.</summary>
    internal bool Refreshing;
    internal readonly Queue<PacketBuffer> Pending = new();
    internal ScheduledTimer? RetryTimer;
}
