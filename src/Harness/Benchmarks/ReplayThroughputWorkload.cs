using Netstack.Harness.Replay;

namespace Netstack.Harness.Benchmarks;

/// <summary>Captured frames replayed per second: the lossy bulk transfer and the many-flow capture in
/// captures/, each replayed in the server role (load, play, compare) over and over.</summary>
public sealed class ReplayThroughputWorkload(string? directory = null) : IBenchmarkWorkload
{
    private static readonly (string File, string As)[] Captures = [("tcp-lossy.pcap", "192.0.2.2"), ("multi-flow.pcapng", "192.0.2.2")];

    public string Title => "Capture replay: captures/tcp-lossy.pcap and multi-flow.pcapng, server role";

    public IEnumerable<BenchmarkFigure> Run(BenchmarkSettings settings)
    {
        var dir = directory ?? RepositoryDirectory.Find("captures");
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
        Warmup.Run(() => ReplayAll(), settings); // and a check that they still pass
        var measured = ThroughputWindow.Measure(ReplayAll, settings);
        yield return new BenchmarkFigure("replay-frames-per-second", measured.PerSecond, "frames/s",
            $"{captures.Count} captures loaded, replayed and judged (captured frames counted)");
    }
}
