using System.CommandLine;
using System.Diagnostics;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;

namespace Netstack.Cli.Commands;

/// <summary><c>harness run PATH...</c>: plays every scenario file under the paths, one line each, then a summary.
/// Exit 0 when all pass, 1 when any fails, 2 on bad input (every file is checked before anything runs).</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths")
        {
            Description = "Scenario files (*.yaml, *.yml) or directories searched recursively",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--out")
        {
            Description = "Directory for the recordings (<scenario>.pcap)",
            DefaultValueFactory = _ => "out",
        };
        var command = new Command("run", "Run YAML scenarios in virtual time and record every frame") { paths, output };
        command.SetAction(parse => Run(parse.GetValue(paths)!, parse.GetValue(output)!, Console.Out, Console.Error));
        return command;
    }

    public static int Run(string[] paths, string outputDirectory, TextWriter stdout, TextWriter stderr)
    {
        List<string> files;
        try
        {
            files = ScenarioFiles.Find(paths);
        }
        catch (FileNotFoundException e)
        {
            throw new UsageException(e.Message);
        }
        if (files.Count == 0)
            throw new UsageException($"no scenario files (*.yaml, *.yml) under {string.Join(", ", paths)}");

        using var filters = new FrameFilterCache();
        var scenarios = new List<Scenario>();
        var errors = new List<string>();
        foreach (var file in files)
        {
            try
            {
                scenarios.Add(ScenarioLoader.LoadFile(file, filters));
            }
            catch (ScenarioFormatException e)
            {
                errors.Add(e.Message);
            }
        }
        foreach (var group in scenarios.GroupBy(s => s.Name).Where(g => g.Count() > 1))
            errors.Add($"{group.Skip(1).First().File}:1:1: scenario name '{group.Key}' is also used by {group.First().File}; recordings would overwrite each other");
        if (errors.Count > 0)
        {
            foreach (var e in errors) stderr.WriteLine(e);
            stderr.WriteLine($"harness: {errors.Count} scenario file{(errors.Count == 1 ? "" : "s")} with errors; nothing was run");
            return Program.ExitUsage;
        }

        var runner = new ScenarioRunner();
        var options = new RunOptions { OutputDirectory = outputDirectory };
        int width = Math.Min(48, scenarios.Max(s => s.Name.Length));
        int failed = 0;
        var wall = Stopwatch.StartNew();
        foreach (var scenario in scenarios)
        {
            var result = runner.Run(scenario, options);
            stdout.WriteLine(FormatLine(result, width));
            if (!result.Passed)
            {
                failed++;
                foreach (var line in result.FailureMessage.Split(Environment.NewLine))
                    stdout.WriteLine("    " + line);
            }
        }
        wall.Stop();
        stdout.WriteLine(
            $"{scenarios.Count} scenario{(scenarios.Count == 1 ? "" : "s")}: {scenarios.Count - failed} passed, {failed} failed " +
            $"({wall.Elapsed.TotalSeconds:0.00} s wall); recordings in {outputDirectory}/");
        return failed == 0 ? Program.ExitOk : Program.ExitFailed;
    }

    private static string FormatLine(ScenarioResult r, int width) =>
        $"{(r.Passed ? "PASS" : "FAIL")}  {r.Name.PadRight(width)}  {TimeSyntax.FormatTime(r.VirtualNanoseconds),12}  {r.Frames,5} frames";
}
