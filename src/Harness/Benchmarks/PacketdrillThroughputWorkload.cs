using Netstack.Harness.Packetdrill.Execution;
using Netstack.Harness.Running;

namespace Netstack.Harness.Benchmarks;

/// <summary>packetdrill scripts per second: every .pkt under a directory (default: the repository's
/// scenarios/packetdrill/), loaded once, then run on our stack on the virtual wire and judged, recording in memory.</summary>
public sealed class PacketdrillThroughputWorkload(string? directory = null) : IBenchmarkWorkload
{
    public string Title => "packetdrill runner: every script in scenarios/packetdrill/, on the virtual wire";

    public IEnumerable<BenchmarkFigure> Run(BenchmarkSettings settings)
    {
        var dir = directory ?? RepositoryDirectory.Find(Path.Combine("scenarios", "packetdrill"));
        if (dir is null || !Directory.Exists(dir)) yield break; // outside the repository: nothing to measure
        var scripts = Directory.EnumerateFiles(dir, "*.pkt", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => LoadedScript.Load(f)).Where(s => s.Analysis is not null).ToList();
        if (scripts.Count == 0) yield break;
        var options = new RunOptions { OutputDirectory = null };
        int failed = scripts.Count(s => !PacketdrillRunner.Run(s, options).Passed); // a check they pass
        if (failed > 0) throw new InvalidOperationException($"{failed} script(s) in {dir} fail; fix them before benchmarking");
        Warmup.Run(() => { foreach (var s in scripts) PacketdrillRunner.Run(s, options); }, settings);
        var measured = ThroughputWindow.Measure(() =>
        {
            foreach (var s in scripts) PacketdrillRunner.Run(s, options);
            return scripts.Count;
        }, settings);
        yield return new BenchmarkFigure("pkt-scripts-per-second", measured.PerSecond, "1/s",
            $"{scripts.Count} .pkt scripts run and judged on our stack, recording in memory");
    }
}
