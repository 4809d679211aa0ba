using Netstack.Diagnostics;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Network.Ipv6;

/// <summary>A next hop learned from a Redirect (RFC 4861 §8.3).</summary>
/// <param name="NextHop">Where packets to the destination go: a better router, or the destination itself (on-link).</param>
/// <param name="Router">The default router the redirect rests on: it goes when that router is no longer one.</param>
/// <param name="LearnedAt">When the redirect arrived; the oldest entry is evicted first, and an entry older than
/// <see cref="Ipv6Options.RedirectLifetime"/> is forgotten.</param>
public readonly record struct RedirectEntry(Ipv6Address NextHop, Ipv6Address Router, Instant LearnedAt);

/// <summary>The host side of Redirect (RFC 4861 §8) on one interface: validates Redirects (§8.1) and keeps a
/// per-destination next hop (§8.3) that routing consults before the default router. An entry holds for
/// <see cref="Ipv6Options.RedirectLifetime"/> from the redirect (a later redirect for the destination starts it again)
/// and as long as the router behind it is a default router. Bounded by <see cref="Ipv6Options.MaxRedirectEntries"/>
/// (the oldest goes, expired or not) so a flood of redirects for distinct destinations cannot grow memory.</summary>
public sealed class RedirectCache
{
    private readonly Dictionary<Ipv6Address, RedirectEntry> _entries = new();
    private readonly Ipv6Interface _ip;

    internal RedirectCache(Ipv6Interface ip) => _ip = ip;

    private NetworkStack Stack => _ip.Interface.Stack;

    /// <summary>Destinations redirected.</summary>
    public int Count => _entries.Count;

    /// <summary>The entry for <paramref name="destination"/>, for assertions and reports; false when there is none
    /// or it has expired.</summary>
    public bool TryGetEntry(Ipv6Address destination, out RedirectEntry entry) =>
        _entries.TryGetValue(destination, out entry) && !IsExpired(entry);

    /// <summary>The redirected next hop for <paramref name="destination"/>; false when there is none, it has expired,
    /// or the router that redirected is no longer a default router (the entry is then forgotten).</summary>
    public bool TryGetNextHop(Ipv6Address destination, out Ipv6Address nextHop)
    {
        nextHop = default;
        if (_entries.Count == 0 || !_entries.TryGetValue(destination, out var entry)) return false;
        if (IsExpired(entry) || !_ip.Routers.IsDefaultRouter(entry.Router))
        {
            _entries.Remove(destination);
            return false;
        }
        nextHop = entry.NextHop;
        return true;
    }

    /// <summary>Handles a Redirect whose hop limit (255) and code (0) were checked: the rest of RFC 4861 §8.1's
    /// validation, then §8.3's processing. Invalid ones are dropped and counted as
    /// <see cref="DropReason.Ipv6RedirectInvalid"/>.</summary>
    internal void Receive(Ipv6Address source, ReadOnlySpan<byte> message)
    {
        var counters = Stack.Counters;
        if (!Ndp.IsValidFromRouter(source, message, Ndp.RedirectLength) || !IsFromFirstHop(source, message))
        {
            counters.Drop(DropReason.Ipv6RedirectInvalid);
            return;
        }
        var target = Ndp.Target(message);
        var destination = Ndp.RedirectDestination(message);
        // The router behind this redirect: the sender if it is a default router, else the one behind the earlier
        // redirect that made the sender our first hop (IsFromFirstHop saw that redirect live).
        var router = TryGetEntry(destination, out var previous) ? previous.Router : source;
        if (!_ip.Routers.IsDefaultRouter(router))
        {
            counters.Drop(DropReason.Ipv6RedirectInvalid);
            return;
        }
        if (!_entries.ContainsKey(destination) && _entries.Count >= Stack.Options.Ipv6.MaxRedirectEntries) EvictOldest();
        _entries[destination] = new RedirectEntry(target, router, Stack.Scheduler.Now);
        counters.RedirectsProcessed++;
        // §8.3: the target's link-layer address, if given, creates or updates its neighbour entry (STALE when new or
        // changed). A target other than the destination is a router; when they are the same it cannot be told, so an
        // existing entry keeps its flag.
        if (NdpOptionReader.TryFindLinkLayerAddress(message[Ndp.RedirectLength..], NdpOptionType.TargetLinkLayerAddress, out var mac))
            _ip.Neighbors.LearnUnsolicited(target, mac, target == destination ? null : true);
    }

    /// <summary>RFC 4861 §8.1: a unicast destination, a target that is link-local or the destination itself, and a
    /// sender that is our current first hop (a router, not the destination) for the destination.</summary>
    private bool IsFromFirstHop(Ipv6Address source, ReadOnlySpan<byte> message)
    {
        var target = Ndp.Target(message);
        var destination = Ndp.RedirectDestination(message);
        return !destination.IsMulticast && (target.IsLinkLocal || target == destination) &&
            Stack.Ipv6.TryRoute(destination, out var iface, out var firstHop) && iface.Ipv6 == _ip &&
            firstHop == source && firstHop != destination;
    }

    /// <summary>Forgets every redirect resting on <paramref name="router"/> (it stopped being a default router).</summary>
    internal void RemoveFrom(Ipv6Address router)
    {
        if (_entries.Count == 0) return;
        foreach (var (destination, entry) in _entries)
            if (entry.Router == router) _entries.Remove(destination);
    }

    private bool IsExpired(RedirectEntry entry) => Stack.Scheduler.Now - entry.LearnedAt >= Stack.Options.Ipv6.RedirectLifetime;

    private void EvictOldest()
    {
        Ipv6Address victim = default;
        var oldest = Instant.MaxValue;
        bool found = false;
        foreach (var (destination, entry) in _entries)
            if (!found || entry.LearnedAt < oldest)
            {
                oldest = entry.LearnedAt;
                victim = destination;
                found = true;
            }
        if (found) _entries.Remove(victim);
    }
}
