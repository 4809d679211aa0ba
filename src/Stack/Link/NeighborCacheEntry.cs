using Netstack.Buffers;
using Netstack.Diagnostics;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Link;

/// <summary>What a neighbour cache entry holds whatever resolves it (ARP for IPv4, Neighbor Discovery for IPv6): the
/// neighbour's address, its MAC once known, the timer of its resolution, and the packets waiting for it.</summary>
/// <typeparam name="TAddress">The network address type, the cache key.</typeparam>
/// <typeparam name="TState">The resolution states of the protocol.</typeparam>
public abstract class NeighborCacheEntry<TAddress, TState> where TAddress : struct where TState : struct, Enum
{
    private protected NeighborCacheEntry(TAddress address) => Address = address;

    /// <summary>The neighbour's network address (the cache key).</summary>
    public TAddress Address { get; }
    /// <summary>Where resolution of the neighbour stands.</summary>
    public TState State { get; internal set; }
    /// <summary>The neighbour's MAC address; meaningful once resolved.</summary>
    public MacAddress Mac { get; internal set; }

    /// <summary>Packets waiting for the MAC, oldest first.</summary>
    internal readonly Queue<PacketBuffer> Pending = new();
    /// <summary>Retransmission and state timer; made when first needed.</summary>
    internal ScheduledTimer? Timer;

    /// <summary>Queues <paramref name="datagram"/> until the MAC is known; when <paramref name="limit"/> packets wait
    /// already, drops it instead, counted as <paramref name="full"/>.</summary>
    internal void Queue(PacketBuffer datagram, int limit, StackCounters counters, DropReason full)
    {
        if (Pending.Count >= limit)
        {
            counters.Drop(full);
            datagram.Dispose();
            return;
        }
        Pending.Enqueue(datagram);
    }

    /// <summary>Drops every waiting packet, counted as <paramref name="reason"/>, after handing each to
    /// <paramref name="report"/> (to tell its sender) when given.</summary>
    internal void DropPending(StackCounters counters, DropReason reason, Action<PacketBuffer>? report = null)
    {
        while (Pending.TryDequeue(out var datagram))
        {
            counters.Drop(reason);
            report?.Invoke(datagram);
            datagram.Dispose();
        }
    }
}
