using Netstack.Diagnostics;
using Netstack.Harness.Running;

namespace Netstack.Harness.Steps;

/// <summary><c>expect: { counters: b, drop.udp-no-listener: 1, icmp-errors-sent: 1 }</c>: exact values of
/// the host's stack counters.</summary>
public sealed class CountersExpectation : StateExpectation
{
    public required string Host { get; init; }
    public required IReadOnlyList<(string Name, Func<StackCounters, long> Read, long Value)> Values { get; init; }

    public override string? Check(ScenarioRun run)
    {
        var counters = run.Host(Host).Stack.Counters;
        var wrong = Values.Where(v => v.Read(counters) != v.Value)
            .Select(v => $"{v.Name} is {v.Read(counters)}, expected {v.Value}").ToList();
        if (wrong.Count == 0) return null;
        var drops = counters.NonZeroDrops().Select(d => $"drop.{CounterNames.Kebab(d.Reason.ToString())}={d.Count}").ToList();
        return string.Join("; ", wrong) + (drops.Count > 0 ? $" (non-zero drops: {string.Join(", ", drops)})" : " (no drops)");
    }

    public override string Describe() => $"counters of {Host}: {string.Join(", ", Values.Select(v => $"{v.Name} = {v.Value}"))}";
}
