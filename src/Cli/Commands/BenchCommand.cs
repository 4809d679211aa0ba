using System.CommandLine;
using Netstack.Harness.Benchmarks;

namespace Netstack.Cli.Commands;

/// <summary>`harness bench [--quick]`: runs the benchmark suite, prints a table for people and one
/// `BENCH name value unit` line per figure for machines.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "Shorter measurement windows (whole run about a minute instead of 3.5)" };
        var tap = new Option<bool>("--tap") { Description = "Measure on real TAP devices against the Linux kernel instead (root)" };
        var only = new Option<string?>("--only") { Description = "Only the workloads whose title contains TEXT (e.g. Scale, TCP, Scenario)" };
        var command = new Command("bench", "Measure throughput and allocation of the stack on the virtual wire") { quick, tap, only };
        command.SetAction(parse =>
        {
            if (parse.GetValue(tap)) return Live.TapBenchmark.RunCommand(parse.GetValue(quick));
            var settings = parse.GetValue(quick) ? BenchmarkSettings.Quick : BenchmarkSettings.Full;
            var workloads = BenchmarkSuite.Workloads;
            if (parse.GetValue(only) is { } text)
            {
                workloads = workloads.Where(w => w.Title.Contains(text, StringComparison.OrdinalIgnoreCase)).ToList();
                if (workloads.Count == 0)
                    throw new UsageException($"--only '{text}' matches none of: {string.Join("; ", BenchmarkSuite.Workloads.Select(w => w.Title))}");
            }
            BenchmarkReport.Run(workloads, settings, Console.Out);
            return Program.ExitOk;
        });
        return command;
    }
}
