using Netstack.Harness.Hosts;
using Netstack.Harness.Running;
using Netstack.Link;
using Netstack.Wire;

namespace Netstack.Harness.Steps;

/// <summary><c>expect: { neighbor-cache: a, address: b/ip6, state: reachable, mac: 02:00:00:00:00:0b }</c>: the IPv6
/// neighbour cache entry (RFC 4861 §7.3.2) the host holds for an address, on any of its interfaces: its state
/// (<c>incomplete</c>, <c>reachable</c>, <c>stale</c>, <c>delay</c>, <c>probe</c>, or <c>none</c> for no entry),
/// and its MAC and router flag when given. On the kernel: <c>ip -6 neigh</c>'s entry (a FAILED one fails any
/// state but none is not; a NOARP or PERMANENT one matches no state).</summary>
public sealed class NeighborCacheExpectation : Ipv6StateExpectation
{
    /// <summary>The state wanted; null with <see cref="Ipv6StateExpectation.Absent"/>, or for any state.</summary>
    public NeighborState? State { get; init; }
    public MacAddress? Mac { get; init; }
    public bool? IsRouter { get; init; }

    public override string? Check(ScenarioRun run)
    {
        var cache = run.Host(Host).Ipv6Neighbors();
        var entry = cache.FirstOrDefault(e => e.Address == Address);
        if (Absent) return entry is null ? null : $"{Host} has an entry {entry}; cache: {Dump(cache)}";
        if (entry is null) return $"{Host} has no entry for {Address}; cache: {Dump(cache)}";
        if (State is { } state && entry.State != Name(state)) return $"{Address} is {entry.State}, not {Name(state)}; cache: {Dump(cache)}";
        if (Mac is { } mac && entry.Mac != mac) return $"{Address} is at {entry.Mac?.ToString() ?? "no MAC"}, not {mac}";
        if (IsRouter is { } router && entry.IsRouter != router) return $"{Address} is {(entry.IsRouter ? "" : "not ")}a router";
        return null;
    }

    private static string Dump(IReadOnlyList<Ipv6NeighborView> cache) =>
        cache.Count == 0 ? "empty" : string.Join(", ", cache);

    public static string Name(NeighborState state) => state.ToString().ToLowerInvariant();

    public override string Describe() =>
        $"neighbour cache of {Host}: {Address} " + (Absent ? "absent" : State is { } s ? Name(s) : "present") +
        (Mac is { } m ? $" at {m}" : "") + (IsRouter is { } r ? r ? ", a router" : ", not a router" : "");
}
