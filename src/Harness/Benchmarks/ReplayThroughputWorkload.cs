using System.Diagnostics;
using Netstack.Harness.Replay;
using Netstack.Time;

namespace Netstack.Harness.Benchmarks;

/// <summary>Captured frames replayed per second: the lossy bulk transfer and the many-flow capture in
/// captures/, each replayed in the server role (load, play, compare) over and over.</summary>
public sealed class ReplayThroughputWorkload(string? directory = null) : IBenchmarkWorkload
{
    private static readonly (string File, string As)[] Captures = [("tcp-lossy.pcap", "192.0.2.2"), ("multi-flow.pcapng", "192.0.2.2")];

    public string Title => "Capture replay: captures/tcp-lossy.pcap and multi-flow.pcapng, server role";

    public IEnumerable<BenchmarkFigure> Run(BenchmarkSettings settings)
    {
        var dir = directory ?? RepositoryDirectory("captures");
        if (dir is null) yield break; // run outside the repository: nothing to measure
        var captures = Captures.Select(c => (Path.Combine(dir, c.File), c.As)).Where(c => File.Exists(c.Item1)).ToList();
        if (captures.Count == 0) yield break;
        long ReplayAll()
        {
            long frames = 0;
            foreach (var (path, address) in captures)
            {
                var result = ReplaySession.Run(path, address);
                if (!result.Report.Equivalent)
                    throw new InvalidOperationException($"{path} no longer replays as EQUIVALENT; fix that before benchmarking");
                frames += result.Captured.Count;
            }
            return frames;
        }
        ReplayAll(); // warm-up, and a check that they still pass
        var window = Duration.FromSeconds(settings.IsQuick ? 1 : 3);
        long total = 0;
        long start = Stopwatch.GetTimestamp();
        while (Duration.FromTimeSpan(Stopwatch.GetElapsedTime(start)) < window) total += ReplayAll();
        var elapsed = Stopwatch.GetElapsedTime(start);
        yield return new BenchmarkFigure("replay-frames-per-second", total / elapsed.TotalSeconds, "frames/s",
            $"{captures.Count} captures loaded, replayed and judged (captured frames counted)");
    }

    /// <summary>NAME in the current directory or the nearest parent holding Harness.sln.</summary>
    private static string? RepositoryDirectory(string name)
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, name);
                if (Directory.Exists(candidate) && File.Exists(Path.Combine(d.FullName, "Harness.sln"))) return candidate;
            }
        return null;
    }
}
