using System.CommandLine;
using System.Diagnostics;
using Netstack.Harness.Fuzzing;

namespace Netstack.Cli.Commands;

/// <summary>`harness fuzz`: seeded mutation fuzzing of the stack's frame entry point.</summary>
public static class FuzzCommand
{
    public static Command Create()
    {
        var frames = new Option<long>("--frames") { Description = "Mutated frames to inject", DefaultValueFactory = _ => 200_000 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the mutation sequence", DefaultValueFactory = _ => 1 };
        var captures = new Option<string[]>("--corpus") { Description = "Extra pcap/pcapng files whose frames join the corpus", AllowMultipleArgumentsPerToken = true };
        var writeCorpus = new Option<string?>("--write-corpus") { Description = "Write the seed corpus, one frame per file, to this directory and exit (seeds for AFL)" };
        var command = new Command("fuzz", "Inject seeded mutants of real frames into a stack; report escapes, unaccounted frames and leaks")
        {
            frames, seed, captures, writeCorpus,
        };
        command.SetAction(parse =>
        {
            long n = parse.GetValue(frames);
            if (n <= 0) throw new UsageException("--frames must be positive");
            var corpus = FuzzCorpus.Build();
            foreach (var path in parse.GetValue(captures) ?? [])
            {
                if (Directory.Exists(path)) throw new UsageException($"{path}: is a directory, not a capture file");
                if (!File.Exists(path)) throw new UsageException($"{path}: no such capture file");
                int added;
                try
                {
                    added = FuzzCorpus.AddCapture(corpus, path);
                }
                catch (FormatException e)
                {
                    throw new UsageException($"{path}: cannot read capture: {e.Message}");
                }
                if (added == 0) throw new UsageException($"{path}: no Ethernet IPv4 or ARP frames to add to the corpus");
            }
            if (parse.GetValue(writeCorpus) is { } dir)
            {
                Directory.CreateDirectory(dir);
                for (int i = 0; i < corpus.Count; i++)
                    File.WriteAllBytes(Path.Combine(dir, $"frame-{i:D3}.bin"), corpus[i]);
                Console.WriteLine($"fuzz: wrote {corpus.Count} seed frames to {dir}");
                return Program.ExitOk;
            }
            var wall = Stopwatch.StartNew();
            var terminal = Netstack.Cli.Terminal.TerminalOutput.For(Console.Out);
            long stepsShown = 0;
            // Progress on a terminal only, every 100,000 frames: a log or a pipe gets the summary alone.
            var report = new FrameFuzzer(corpus, parse.GetValue(seed)).Run(n, done =>
            {
                if (done / 100_000 <= stepsShown) return;
                stepsShown = done / 100_000;
                terminal.Progress($"fuzz: {done:N0} of {n:N0} frames ({100.0 * done / n:0}%), {wall.Elapsed.TotalSeconds:0.0} s");
            });
            terminal.ClearProgress();
            Console.WriteLine($"fuzz: {report.Frames:N0} frames from a corpus of {corpus.Count} in {wall.Elapsed.TotalSeconds:0.0} s " +
                              $"({report.Frames / wall.Elapsed.TotalSeconds:N0} frames/s), seed {parse.GetValue(seed)}");
            Console.WriteLine($"  mutations: {string.Join(", ", report.ByMutation.Select(kv => $"{kv.Key} {kv.Value:N0}"))}");
            Console.WriteLine($"  accepted by a protocol: {report.Accepted:N0}; frames sent in response: {report.FramesSent:N0}; heap growth {report.MemoryGrowthBytes / 1024:N0} KiB");
            Console.WriteLine("  drops by reason:");
            foreach (var (reason, count) in report.Drops.OrderByDescending(d => d.Count))
                Console.WriteLine($"    {reason,-28} {count,12:N0}");
            foreach (var finding in report.Findings)
                Console.WriteLine($"  FINDING {finding}");
            Console.WriteLine(report.Passed ? $"fuzz: {terminal.Green("PASS")} (no escapes, every frame accounted for, nothing leaked)" : $"fuzz: {terminal.Red("FAIL")} ({report.Findings.Count} findings)");
            return report.Passed ? Program.ExitOk : Program.ExitFailed;
        });
        return command;
    }
}
