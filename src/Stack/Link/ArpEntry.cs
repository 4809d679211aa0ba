using Netstack.Buffers;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Link;

public enum ArpEntryState
{
    /// <summary>Requests are out; packets wait in the entry's queue.</summary>
    Incomplete,
    Reachable,
}

/// <summary>One neighbour: its MAC once known, its expiry, and the packets waiting for it.</summary>
public sealed class ArpEntry
{
    internal ArpEntry(Ipv4Address address) => Address = address;

    public Ipv4Address Address { get; }
    public ArpEntryState State { get; internal set; }
    public MacAddress Mac { get; internal set; }
    public Instant ExpiresAt { get; internal set; }
    public int RequestsSent { get; internal set; }
    /// <summary>Set while a refresh request is outstanding for a reachable entry.</summary>
    internal bool Refreshing;
    internal readonly Queue<PacketBuffer> Pending = new();
    internal ScheduledTimer? RetryTimer;
}
