using System.CommandLine;
using System.Globalization;
using Netstack.Harness.Running;

namespace Netstack.Cli.Commands;

/// <summary><c>harness merge --out FILE JUNIT...</c>: one JUnit report and one per-seed table from the reports of a
/// run split across CI jobs (<c>run --shard K/N --junit</c>, or seed ranges per job). Exit 1 when any merged case
/// failed, 2 on a missing or malformed report.</summary>
public static class MergeCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("reports") { Description = "JUnit XML files written by `harness run --junit`", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Where the merged JUnit report goes", Required = true };
        var command = new Command("merge", "Merge the JUnit reports of sharded runs into one report and one per-seed table") { inputs, output };
        command.SetAction(parse => Run(parse.GetValue(inputs)!, parse.GetValue(output)!, Console.Out));
        return command;
    }

    public static int Run(IReadOnlyList<string> inputs, string output, TextWriter stdout)
    {
        JUnitMerge.Result merged;
        try
        {
            merged = JUnitMerge.Merge(inputs);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message);
        }
        JUnitReport.Save(output, merged.Document);
        foreach (var s in merged.Seeds)
        {
            var times = s.Rows.Where(r => r.VirtualSeconds is not null).Select(r => r.VirtualSeconds!.Value).Order().ToArray();
            var failing = s.FailingSeeds.ToList();
            var timing = times.Length == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
                $"; completed: min {times[0]:0.000}s, median {times[times.Length / 2]:0.000}s, max {times[^1]:0.000}s");
            stdout.WriteLine($"{(failing.Count == 0 ? "PASS" : "FAIL")}  {s.ClassName}  seeds: {s.Rows.Count - failing.Count} passed, {failing.Count} failed{timing}");
            if (failing.Count > 0)
                stdout.WriteLine($"    failing seeds: {string.Join(", ", failing.Take(20))}{(failing.Count > 20 ? ", ..." : "")}");
            var duplicates = s.Rows.GroupBy(r => r.Seed).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            if (duplicates.Count > 0)
                stdout.WriteLine($"    seeds reported by more than one shard: {string.Join(", ", duplicates.Take(20))}");
        }
        int passed = merged.Tests - merged.Failures - merged.Errors - merged.Skipped;
        stdout.WriteLine($"merged {inputs.Count} report{(inputs.Count == 1 ? "" : "s")}: {merged.Tests} cases, {passed} passed, " +
                         $"{merged.Failures + merged.Errors} failed, {merged.Skipped} skipped -> {output}");
        return merged.Failures + merged.Errors == 0 ? Program.ExitOk : Program.ExitFailed;
    }
}
