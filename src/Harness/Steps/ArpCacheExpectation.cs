using Netstack.Harness.Running;
using Netstack.Wire;

namespace Netstack.Harness.Steps;

/// <summary><c>expect: { arp-cache: a, has: { 192.0.2.11: 02:00:00:00:00:0b }, lacks: [192.0.2.99] }</c>:
/// resolved (reachable, unexpired) entries on any of the host's interfaces.</summary>
public sealed class ArpCacheExpectation : StateExpectation
{
    public required string Host { get; init; }
    /// <summary>Entries that must be resolved; a null MAC means "to anything".</summary>
    public required IReadOnlyList<(Ipv4Address Address, MacAddress? Mac)> Has { get; init; }
    public required IReadOnlyList<Ipv4Address> Lacks { get; init; }

    public override string? Check(ScenarioRun run)
    {
        var stack = run.Host(Host).Stack;
        foreach (var (address, mac) in Has)
        {
            var found = Lookup(stack, address);
            if (found is null) return $"no resolved entry for {address}; cache: {Dump(stack)}";
            if (mac is { } m && found.Value != m) return $"{address} is at {found}, not {m}; cache: {Dump(stack)}";
        }
        foreach (var address in Lacks)
            if (Lookup(stack, address) is { } found)
                return $"{address} is resolved to {found}; cache: {Dump(stack)}";
        return null;
    }

    private static MacAddress? Lookup(NetworkStack stack, Ipv4Address address)
    {
        foreach (var i in stack.Interfaces)
            if (i.Arp.TryLookup(address, out var mac)) return mac;
        return null;
    }

    private static string Dump(NetworkStack stack)
    {
        var entries = stack.Interfaces.SelectMany(i => i.Arp.Entries)
            .OrderBy(e => e.Address)
            .Select(e => e.State == Netstack.Link.ArpEntryState.Reachable ? $"{e.Address} {e.Mac}" : $"{e.Address} (incomplete)")
            .ToList();
        return entries.Count == 0 ? "empty" : string.Join(", ", entries);
    }

    public override string Describe()
    {
        var parts = Has.Select(h => h.Mac is { } m ? $"{h.Address} at {m}" : $"{h.Address} resolved")
            .Concat(Lacks.Select(l => $"no {l}"));
        return $"arp cache of {Host}: {string.Join(", ", parts)}";
    }
}
