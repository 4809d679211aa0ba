using Netstack.Buffers;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Link;

/// <summary>Neighbour Unreachability Detection states of a cache entry (RFC 4861 §7.3.2).</summary>
public enum NeighborState
{
    /// <summary>Solicitations are out; packets wait in the entry's queue.</summary>
    Incomplete,
    /// <summary>Reachability was confirmed less than ReachableTime ago.</summary>
    Reachable,
    /// <summary>The MAC is known but unconfirmed; the next packet sent starts DELAY.</summary>
    Stale,
    /// <summary>A packet went out to a stale neighbour; a probe follows unless something confirms it.</summary>
    Delay,
    /// <summary>Unicast solicitations are out to confirm the neighbour.</summary>
    Probe,
}

/// <summary>One IPv6 neighbour: its MAC once known, its state, and the packets waiting for it.</summary>
public sealed class NeighborEntry
{
    internal NeighborEntry(Ipv6Address address) => Address = address;

    /// <summary>The neighbour's IPv6 address (the cache key).</summary>
    public Ipv6Address Address { get; }
    /// <summary>Where reachability detection stands.</summary>
    public NeighborState State { get; internal set; }
    /// <summary>The neighbour's MAC; meaningful in every state but <see cref="NeighborState.Incomplete"/>.</summary>
    public MacAddress Mac { get; internal set; }
    /// <summary>The neighbour said it is a router (R flag, or it sent a Router Advertisement).</summary>
    public bool IsRouter { get; internal set; }
    /// <summary>Solicitations sent in the current resolution or probe.</summary>
    public int SolicitationsSent { get; internal set; }
    /// <summary>When the entry last changed state or was confirmed, for eviction.</summary>
    public Instant UpdatedAt { get; internal set; }
    /// <summary>The source of the packet that started the resolution, used as the solicitations' source.</summary>
    internal Ipv6Address SolicitSource;
    internal readonly Queue<PacketBuffer> Pending = new();
    internal ScheduledTimer? Timer;

    /// <summary>Address, state and MAC, e.g. "fe80::1 reachable 02:00:00:00:00:14".</summary>
    public override string ToString() => $"{Address} {State.ToString().ToLowerInvariant()} {Mac}";
}
