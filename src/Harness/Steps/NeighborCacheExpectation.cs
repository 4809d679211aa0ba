using Netstack.Harness.Running;
using Netstack.Link;
using Netstack.Wire;

namespace Netstack.Harness.Steps;

/// <summary><c>expect: { neighbor-cache: a, address: b/ip6, state: reachable, mac: 02:00:00:00:00:0b }</c>: the IPv6
/// neighbour cache entry (RFC 4861 §7.3.2) the host holds for an address, on any of its interfaces: its state
/// (<c>incomplete</c>, <c>reachable</c>, <c>stale</c>, <c>delay</c>, <c>probe</c>, or <c>none</c> for no entry),
/// and its MAC and router flag when given.</summary>
public sealed class NeighborCacheExpectation : Ipv6StateExpectation
{
    /// <summary>The state wanted; null with <see cref="Ipv6StateExpectation.Absent"/>, or for any state.</summary>
    public NeighborState? State { get; init; }
    public MacAddress? Mac { get; init; }
    public bool? IsRouter { get; init; }

    public override string? Check(ScenarioRun run)
    {
        var stack = run.Host(Host).Stack;
        var entry = Find(stack, Address);
        if (Absent) return entry is null ? null : $"{Host} has an entry {entry}; cache: {Dump(stack)}";
        if (entry is null) return $"{Host} has no entry for {Address}; cache: {Dump(stack)}";
        if (State is { } state && entry.State != state) return $"{Address} is {Name(entry.State)}, not {Name(state)}; cache: {Dump(stack)}";
        if (Mac is { } mac && entry.Mac != mac) return $"{Address} is at {entry.Mac}, not {mac}";
        if (IsRouter is { } router && entry.IsRouter != router) return $"{Address} is {(entry.IsRouter ? "" : "not ")}a router";
        return null;
    }

    private static NeighborEntry? Find(NetworkStack stack, Ipv6Address address)
    {
        foreach (var i in Ipv6Interfaces(stack))
            if (i.Neighbors.TryGetEntry(address, out var entry)) return entry;
        return null;
    }

    private static string Dump(NetworkStack stack)
    {
        var entries = Ipv6Interfaces(stack).SelectMany(i => i.Neighbors.Entries).OrderBy(e => e.Address).Select(e => e.ToString()).ToList();
        return entries.Count == 0 ? "empty" : string.Join(", ", entries);
    }

    public static string Name(NeighborState state) => state.ToString().ToLowerInvariant();

    public override string Describe() =>
        $"neighbour cache of {Host}: {Address} " + (Absent ? "absent" : State is { } s ? Name(s) : "present") +
        (Mac is { } m ? $" at {m}" : "") + (IsRouter is { } r ? r ? ", a router" : ", not a router" : "");
}
