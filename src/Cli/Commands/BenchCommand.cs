using System.CommandLine;
using System.Globalization;
using Netstack.Harness.Benchmarks;

namespace Netstack.Cli.Commands;

/// <summary>`harness bench [--quick]`: runs the benchmark suite, prints a table for people and one
/// `BENCH name value unit` line per figure for machines.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "Shorter measurement windows (whole run under 30 s)" };
        var tap = new Option<bool>("--tap") { Description = "Measure on real TAP devices against the Linux kernel instead (root)" };
        var command = new Command("bench", "Measure throughput and allocation of the stack on the virtual wire") { quick, tap };
        command.SetAction(parse =>
        {
            if (parse.GetValue(tap)) return Live.TapBenchmark.RunCommand(parse.GetValue(quick));
            var settings = parse.GetValue(quick) ? BenchmarkSettings.Quick : BenchmarkSettings.Full;
            var figures = new List<BenchmarkFigure>();
            foreach (var workload in BenchmarkSuite.Workloads)
            {
                Console.WriteLine(workload.Title);
                foreach (var figure in workload.Run(settings))
                {
                    Console.WriteLine(FormattableString.Invariant(
                        $"  {figure.Description,-72} {Format(figure.Value),14} {figure.Unit,-9} {(figure.Target is null ? "" : "target " + figure.Target)}"));
                    figures.Add(figure);
                }
            }
            foreach (var f in figures)
                Console.WriteLine(FormattableString.Invariant($"BENCH {f.Name} {Format(f.Value)} {f.Unit}"));
            return Program.ExitOk;
        });
        return command;
    }

    private static string Format(double value) =>
        Math.Abs(value) >= 1000 ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("0.##", CultureInfo.InvariantCulture);
}
