using System.CommandLine;
using System.Diagnostics;
using Netstack.Harness.Conformance;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;

namespace Netstack.Cli.Commands;

/// <summary><c>harness matrix SCENARIOS... --against ours,linux,lwip,slirp</c>: runs each implementation-neutral
/// scenario once per implementation with its <c>sut</c> host played by it, prints the table (scenario ×
/// implementation: pass / FAIL with the first difference / n/a with why) and writes it as Markdown and JUnit.
/// Exit 0 when every cell passes (or, with <c>--expect</c>, is as expected), 1 otherwise, 2 on bad input,
/// 130 when interrupted (after removing what the interrupted run made).</summary>
public static class MatrixCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths")
        {
            Description = "Scenario files (*.yaml, *.yml) or directories searched recursively",
            Arity = ArgumentArity.OneOrMore,
        };
        var against = new Option<string>("--against")
        {
            Description = "Implementations to play the role, comma-separated: ours (our stack, virtual wire), ours-tap (our stack as an " +
                          "external process behind a tap), linux, lwip, slirp (tap wire, root)",
            DefaultValueFactory = _ => string.Join(',', ConformanceMatrix.Implementations),
        };
        var host = new Option<string>("--host") { Description = "The host each implementation plays", DefaultValueFactory = _ => ConformanceMatrix.DefaultRole };
        var output = new Option<string>("--out") { Description = "Directory for the recordings (OUT/IMPLEMENTATION/<scenario>.pcap)", DefaultValueFactory = _ => "out/matrix" };
        var junit = new Option<string?>("--junit") { Description = "Also write the matrix as JUnit XML (one case per cell) to FILE" };
        var markdown = new Option<string?>("--markdown") { Description = "Also write the matrix as Markdown to FILE" };
        var expect = new Option<string?>("--expect") { Description = "Expected cells (SCENARIO IMPLEMENTATION: pass | differs: REF | n/a: WHY); a documented difference then passes, a new one fails" };
        var jobs = new Option<int>("--jobs")
        {
            Description = "Cells run at once (each has its own namespace and loop; real-wire cells mostly wait on the clock)",
            DefaultValueFactory = _ => DefaultJobs,
        };
        var command = new Command("matrix", "Run implementation-neutral scenarios against several implementations and print the conformance matrix")
        {
            paths, against, host, output, junit, markdown, expect, jobs,
        };
        command.SetAction(parse => Run(parse.GetValue(paths)!, parse.GetValue(against)!, parse.GetValue(host)!, parse.GetValue(output)!,
            parse.GetValue(junit), parse.GetValue(markdown), parse.GetValue(expect), Console.Out, Console.Error, parse.GetValue(jobs)));
        return command;
    }

    /// <summary>Two cells per core, at most four: a real-wire cell is mostly waiting on timers and processes.</summary>
    public static int DefaultJobs => Math.Clamp(2 * Environment.ProcessorCount, 1, 4);

    public static int Run(string[] paths, string against, string role, string output, string? junit, string? markdown, string? expectFile,
        TextWriter stdout, TextWriter stderr, int jobs = 1)
    {
        if (jobs is < 1 or > 64) throw new UsageException($"--jobs: {jobs} is not a number of cells in 1..64");
        var implementations = against.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        if (implementations.Count == 0) throw new UsageException("--against needs at least one implementation");
        foreach (var i in implementations)
            if (!ConformanceMatrix.Implementations.Contains(i))
                throw new UsageException($"--against: unknown implementation '{i}' (known: {string.Join(", ", ConformanceMatrix.Implementations)})");
        List<string> files;
        try
        {
            files = ScenarioFiles.Find(paths);
        }
        catch (FileNotFoundException e)
        {
            throw new UsageException(e.Message);
        }
        if (files.Count == 0) throw new UsageException($"no scenario files (*.yaml, *.yml) under {string.Join(", ", paths)}");
        MatrixExpectations? expected = null;
        if (expectFile is not null)
        {
            try
            {
                expected = MatrixExpectations.Load(expectFile);
            }
            catch (Exception e) when (e is ScenarioFormatException or IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"harness: {(e is ScenarioFormatException ? e.Message : $"{expectFile}: {e.Message}")}");
                return Program.ExitUsage;
            }
        }
        // A file that does not load as written is a mistake in it, not a property of an implementation.
        using (var filters = new Netstack.Harness.Trace.FrameFilterCache())
        {
            var errors = new List<string>();
            foreach (var file in files)
            {
                try
                {
                    ScenarioLoader.LoadFile(file, filters);
                }
                catch (ScenarioFormatException e)
                {
                    errors.Add(e.Message);
                }
            }
            if (errors.Count > 0)
            {
                foreach (var e in errors) stderr.WriteLine(e);
                stderr.WriteLine($"harness: {errors.Count} scenario file{(errors.Count == 1 ? "" : "s")} with errors; nothing was run");
                return Program.ExitUsage;
            }
        }

        var wall = Stopwatch.StartNew();
        var matrix = new ConformanceMatrix(role)
        {
            Jobs = jobs,
            Expectations = expected,
            OnCell = c => stdout.WriteLine($"{c.Word,-4}  {c.Scenario} × {c.Implementation}  ({c.WallSeconds:0.0} s){(c.Outcome == CellOutcome.Pass ? "" : "  " + c.Summary)}"),
        };
        IReadOnlyList<MatrixCell> cells;
        try
        {
            cells = matrix.Run(files, implementations, output);
        }
        catch (RunInterruptedException e)
        {
            stdout.WriteLine($"STOP  {e.Message}; the interrupted run's namespaces and processes were removed");
            return Program.ExitInterrupted;
        }
        wall.Stop();
        stdout.WriteLine();
        stdout.Write(MatrixReport.Table(cells, implementations, expected));
        var unexpected = expected is null
            ? cells.Count(c => c.Outcome == CellOutcome.Fail)
            : cells.Count(c => expected.Judge(c) is not null);
        var unmatched = expected?.Unmatched(cells, cells.Select(c => c.Scenario).ToHashSet(), implementations).ToList() ?? [];
        // With cells run at once, what was left behind is checked after the last one (a harness defect: exit 1).
        if (matrix.LeftBehind.Count > 0) unmatched.Add($"the runs left {string.Join(", ", matrix.LeftBehind)} behind");
        foreach (var u in unmatched) stdout.WriteLine($"  (!) {u}");
        stdout.WriteLine($"{cells.Count} cells: {cells.Count(c => c.Outcome == CellOutcome.Pass)} pass, " +
                         $"{cells.Count(c => c.Outcome == CellOutcome.Fail)} fail, {cells.Count(c => c.Outcome == CellOutcome.NotApplicable)} n/a" +
                         (cells.Count(c => c.Outcome == CellOutcome.Inconclusive) is > 0 and var doubtful ? $", {doubtful} inconclusive" : "") +
                         (expected is null ? "" : $"; {unexpected} not as expected in {expected.File}") +
                         $" ({wall.Elapsed.TotalSeconds:0.0} s wall, {jobs} at once); recordings in {output}/");
        if (markdown is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(markdown))!);
            File.WriteAllText(markdown, MatrixReport.Markdown(cells, implementations, expected));
        }
        if (junit is not null)
            MatrixReport.WriteJUnit(junit, cells, expected, wall.Elapsed.TotalSeconds,
                [new("implementations", string.Join(',', implementations)), new("role", role), new("paths", string.Join(' ', paths))]);
        return unexpected == 0 && unmatched.Count == 0 ? Program.ExitOk : Program.ExitFailed;
    }
}
