using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Netstack.Cli.Terminal;
using Netstack.Cli.Watching;
using Netstack.Harness.Reports;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Time;

namespace Netstack.Cli.Commands;

/// <summary><c>harness run PATH...</c>: plays every scenario file under the paths, one line each, then a summary.
/// Exit 0 when all pass, 1 when any fails, 2 on bad input (every file is checked before anything runs).</summary>
public static class RunCommand
{
    public sealed record Settings
    {
        public required string[] Paths { get; init; }
        public string Output { get; init; } = "out";
        public CaptureFormat Format { get; init; } = CaptureFormat.Pcap;
        public ulong? Seed { get; init; }
        public (ulong First, ulong Last)? Seeds { get; init; }
        /// <summary>Name filters (substring or glob); a scenario matching any is run. Empty: all.</summary>
        public IReadOnlyList<string> Filters { get; init; } = [];
        public bool List { get; init; }
        public bool FailFast { get; init; }
        public bool Watch { get; init; }
        public (int K, int N)? Shard { get; init; }
        public string? JUnit { get; init; }
        public string? Report { get; init; }
        public bool Trace { get; init; }
        public ScenarioWire Wire { get; init; }
        public Netstack.Transport.Tcp.TcpPersonality Personality { get; init; }
        public HostCaptureMode Capture { get; init; }
        /// <summary>packetdrill command-line flags (<c>--pkt-option local_ip=192.168.0.1</c>) for every .pkt script.</summary>
        public IReadOnlyList<Netstack.Harness.Packetdrill.HeaderOption> PacketdrillOptions { get; init; } = [];
    }

    public static Command Create()
    {
        var paths = new Argument<string[]>("paths")
        {
            Description = "Scenario files (*.yaml, *.yml), packetdrill scripts (*.pkt) or directories searched recursively",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--out") { Description = "Directory for the recordings (<scenario>.pcap)", DefaultValueFactory = _ => "out" };
        var format = new Option<string>("--format") { Description = "Recording format: pcap or pcapng (with a comment per frame)", DefaultValueFactory = _ => "pcap" };
        format.AcceptOnlyFromAmong("pcap", "pcapng");
        var capture = new Option<string?>("--capture")
        {
            Description = "Also record each host's own view: rx (what it received, after faults), tx (what it sent) or both, " +
                          "to <scenario>.<host>.rx|tx|rxtx.pcap beside the segment's recording",
        };
        capture.AcceptOnlyFromAmong("rx", "tx", "both");
        var seed = new Option<string?>("--seed") { Description = "Run with this seed instead of each file's" };
        var seeds = new Option<string?>("--seeds") { Description = "Run each scenario under every seed A..B; print failing seeds with a command that reproduces one" };
        var filter = new Option<string[]>("--filter")
        {
            Description = "Only scenarios whose name contains NAME (or matches a glob with * and ?); repeat it or give a comma list (a,b) to run those matching any",
            AllowMultipleArgumentsPerToken = false,
        };
        var list = new Option<bool>("--list") { Description = "Print the scenarios that would run (after --filter and --shard), with their files, and run nothing" };
        var failFast = new Option<bool>("--fail-fast") { Description = "Stop at the first failing scenario and say how many were not run" };
        var watch = new Option<bool>("--watch") { Description = "Run, then run the selected files again whenever one of them changes on disk, until Ctrl-C (exit 130)" };
        var shard = new Option<string?>("--shard") { Description = "Only shard K of N (K/N, 1-based): a deterministic split for parallel CI jobs" };
        var junit = new Option<string?>("--junit") { Description = "Also write a JUnit XML report to FILE" };
        var report = new Option<string?>("--report") { Description = "Also write a self-contained HTML report to FILE: verdicts, failures, a ladder diagram of the frames and a time-sequence graph per TCP connection" };
        var trace = new Option<bool>("--trace") { Description = "Print each scenario's frames, one line each (the golden-trace format)" };
        var wire = new Option<string>("--wire")
        {
            Description = "virtual: every host is our stack, in virtual time. tap: real time, and the host marked " +
                          "'played-by: linux' is the Linux kernel behind a tap in a namespace made for the run (needs root)",
            DefaultValueFactory = _ => "virtual",
        };
        wire.AcceptOnlyFromAmong("virtual", "tap");
        var personality = new Option<string>("--personality")
        {
            Description = "TCP defaults of our stack as a packetdrill script's local host: rfc, linux or freebsd " +
                          "(docs/personalities.md); YAML hosts name theirs with 'personality:'",
            DefaultValueFactory = _ => "rfc",
        };
        personality.AcceptOnlyFromAmong("rfc", "linux", "freebsd");
        var pktOption = new Option<string[]>("--pkt-option")
        {
            Description = "A packetdrill command-line flag NAME=VALUE for every .pkt script (repeatable): it overrides the " +
                          "script's own header line, as packetdrill's command line does (run_all.py passes local_ip, remote_ip)",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("run", "Run YAML scenarios (in virtual time, or against Linux on a tap) and record every frame")
        {
            paths, output, format, capture, seed, seeds, filter, list, failFast, watch, shard, junit, report, trace, wire, personality, pktOption,
        };
        command.SetAction(parse => Dispatch(new Settings
        {
            Paths = parse.GetValue(paths)!,
            Output = parse.GetValue(output)!,
            Format = parse.GetValue(format) == "pcapng" ? CaptureFormat.PcapNg : CaptureFormat.Pcap,
            Seed = parse.GetValue(seed) is { } s ? ParseSeed(s, "--seed") : null,
            Seeds = parse.GetValue(seeds) is { } r ? ParseSeedRange(r) : null,
            Filters = ScenarioSelection.SplitFilters(parse.GetValue(filter) ?? []),
            List = parse.GetValue(list),
            FailFast = parse.GetValue(failFast),
            Watch = parse.GetValue(watch),
            Shard = parse.GetValue(shard) is { } sh ? ParseShard(sh) : null,
            JUnit = parse.GetValue(junit),
            Report = parse.GetValue(report),
            Trace = parse.GetValue(trace),
            Wire = parse.GetValue(wire) == "tap" ? ScenarioWire.Tap : ScenarioWire.Virtual,
            Personality = Netstack.Transport.Tcp.TcpSettings.TryParsePersonality(parse.GetValue(personality), out var p) ? p : default,
            PacketdrillOptions = (parse.GetValue(pktOption) ?? []).Select(ParsePacketdrillOption).ToList(),
            Capture = parse.GetValue(capture) switch
            {
                "rx" => HostCaptureMode.Rx,
                "tx" => HostCaptureMode.Tx,
                "both" => HostCaptureMode.Both,
                _ => HostCaptureMode.None,
            },
        }));
        return command;
    }

    /// <summary>Runs once, or with <c>--watch</c> until Ctrl-C (SIGINT or SIGTERM), which ends it with exit 130.</summary>
    private static int Dispatch(Settings settings)
    {
        if (!settings.Watch) return Run(settings, Console.Out, Console.Error);
        using var stop = new CancellationTokenSource();
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        return Watch(settings, Console.Out, Console.Error, stop.Token);
    }

    /// <summary>How long the files must stay quiet after a change before the run starts again: an editor's save is
    /// often several writes (truncate, write, rename).</summary>
    public static readonly TimeSpan WatchDebounce = TimeSpan.FromMilliseconds(200);

    /// <summary><c>--watch</c>: runs, then waits for a change to one of the files the run selected, and runs again;
    /// a file that no longer loads is reported and watched on. Returns 130 once <paramref name="stop"/> is
    /// cancelled. <paramref name="finishedRun"/> is told each run's exit code (for tests).</summary>
    public static int Watch(Settings settings, TextWriter stdout, TextWriter stderr, CancellationToken stop, Action<int>? finishedRun = null)
    {
        if (settings.List) throw new UsageException("--watch runs scenarios; --list only prints them: use one");
        using var changes = new ScenarioFileWatcher(settings.Paths, WatchDebounce);
        while (!stop.IsCancellationRequested)
        {
            int exit;
            try
            {
                exit = Run(settings with { Watch = false }, stdout, stderr, changes.Watch);
            }
            catch (UsageException e)
            {
                // A path that vanished or a bad option: say so and wait for the files to change again.
                stderr.WriteLine($"harness: {e.Message}");
                exit = Program.ExitUsage;
            }
            finishedRun?.Invoke(exit);
            stdout.WriteLine($"watching {changes.Count} file{(changes.Count == 1 ? "" : "s")} for changes (Ctrl-C to stop)");
            if (changes.WaitForChange(stop) is not { } changed) break;
            stdout.WriteLine($"changed: {changed}; running again");
        }
        stdout.WriteLine("stopped watching");
        return Program.ExitInterrupted;
    }

    private static Netstack.Harness.Packetdrill.HeaderOption ParsePacketdrillOption(string text)
    {
        try
        {
            return Netstack.Harness.Packetdrill.CommandLineOptions.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static ulong ParseSeed(string text, string option) =>
        ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new UsageException($"{option} must be a whole number, found '{text}'");

    private static (ulong, ulong) ParseSeedRange(string text)
    {
        var parts = text.Split("..");
        if (parts.Length != 2) throw new UsageException($"--seeds must be a range A..B, like 1..100, found '{text}'");
        var (a, b) = (ParseSeed(parts[0], "--seeds"), ParseSeed(parts[1], "--seeds"));
        if (b < a) throw new UsageException($"--seeds {text}: the range is empty");
        return (a, b);
    }

    private static (int, int) ParseShard(string text) =>
        ScenarioSelection.TryParseShard(text, out var k, out var n)
            ? (k, n)
            : throw new UsageException($"--shard must be K/N with 1 <= K <= N, like 2/4, found '{text}'");

    public static int Run(string[] paths, string outputDirectory, TextWriter stdout, TextWriter stderr) =>
        Run(new Settings { Paths = paths, Output = outputDirectory }, stdout, stderr);

    public static int Run(Settings settings, TextWriter stdout, TextWriter stderr) => Run(settings, stdout, stderr, null);

    /// <param name="selected">Told the files the run selected (for <c>--watch</c>), or all it found when a file
    /// has errors.</param>
    private static int Run(Settings settings, TextWriter stdout, TextWriter stderr, Action<IReadOnlyCollection<string>>? selectedFiles)
    {
        if (settings.Watch) throw new UsageException("--watch needs a way to stop: run it from the command line");
        if (settings.Seed is not null && settings.Seeds is not null)
            throw new UsageException("use --seed or --seeds, not both");
        if (settings.Wire == ScenarioWire.Tap && settings.Seeds is not null)
            throw new UsageException("--seeds needs the virtual wire: on the tap wire the kernel and the real clock decide, not the seed");
        List<string> files;
        try
        {
            files = ScenarioFiles.Find(settings.Paths);
        }
        catch (FileNotFoundException e)
        {
            throw new UsageException(e.Message);
        }
        if (files.Count == 0)
            throw new UsageException($"no scenario files (*.yaml, *.yml, *.pkt) under {string.Join(", ", settings.Paths)}");
        selectedFiles?.Invoke(files);

        using var filters = new FrameFilterCache();
        var loaded = new List<Scenario>();
        var errors = new List<(string File, string Message)>();
        var scripts = new List<Netstack.Harness.Packetdrill.Execution.LoadedScript>();
        foreach (var file in files.Where(ScenarioFiles.IsPacketdrillScript))
        {
            var script = Netstack.Harness.Packetdrill.Execution.LoadedScript.Load(file, settings.Wire == ScenarioWire.Tap, settings.PacketdrillOptions);
            if (script.Errors.Count > 0) errors.Add((file, string.Join(Environment.NewLine, script.Errors)));
            else scripts.Add(script);
        }
        foreach (var file in files.Where(f => !ScenarioFiles.IsPacketdrillScript(f)))
        {
            try
            {
                loaded.Add(ScenarioLoader.LoadFile(file, filters));
            }
            catch (ScenarioFormatException e)
            {
                errors.Add((file, e.Message));
            }
        }
        foreach (var group in loaded.GroupBy(s => s.Name).Where(g => g.Count() > 1))
        {
            var file = group.Skip(1).First().File;
            errors.Add((file, $"{file}:1:1: scenario name '{group.Key}' is also used by {group.First().File}; recordings would overwrite each other"));
        }
        if (errors.Count > 0)
        {
            foreach (var e in errors) stderr.WriteLine(e.Message);
            stderr.WriteLine($"harness: {errors.Count} scenario file{(errors.Count == 1 ? "" : "s")} with errors; nothing was run");
            // CI still gets a report it can show: each broken file as an errored case.
            if (settings.JUnit is { } brokenJUnit)
                JUnitReport.Write(brokenJUnit, errors.Select(e => new JUnitReport.Case(
                    Path.GetFileNameWithoutExtension(e.File), e.File, 0, false, 0, e.Message) { IsLoadError = true }).ToList(), 0,
                    RunProperties(settings));
            if (settings.Report is { } brokenReport)
            {
                var page = NewReportPage(settings, files.Count);
                foreach (var (file, message) in errors)
                    page.Add(new ScenarioResult(Path.GetFileNameWithoutExtension(file), file, 0, false, Duration.Zero, 0, null, [new StepFailure(0, message)], new FrameLog()), null,
                        note: "the file has errors, so nothing was run");
                page.Write(brokenReport);
            }
            return Program.ExitUsage;
        }

        var scenarios = ScenarioSelection.Select(loaded, settings.Filters, settings.Shard);
        // Scripts continue the shard's round robin after the YAML scenarios, so shards stay disjoint.
        int yamlSelected = ScenarioSelection.Select(loaded, settings.Filters, null).Count;
        var selectedScripts = scripts.Where(s => ScenarioSelection.MatchesAny(s.Name, settings.Filters))
            .Where((_, i) => settings.Shard is not { } sh || (yamlSelected + i) % sh.N == sh.K - 1).ToList();
        // A filter that matches nothing is almost always a typo; passing silently would hide it in CI.
        var unmatched = settings.Filters.Where(f => !loaded.Any(s => ScenarioSelection.MatchesName(s.Name, f)) &&
                                                    !scripts.Any(s => ScenarioSelection.MatchesName(s.Name, f))).ToList();
        if (unmatched.Count > 0)
        {
            foreach (var nameFilter in unmatched)
                stderr.WriteLine($"harness: --filter '{nameFilter}' matches none of the {loaded.Count + scripts.Count} scenarios");
            return Program.ExitUsage;
        }
        selectedFiles?.Invoke(scenarios.Select(s => s.File).Concat(selectedScripts.Select(s => s.File)).ToList());
        if (settings.List)
        {
            int nameWidth = scenarios.Select(s => s.Name.Length).Concat(selectedScripts.Select(s => s.Name.Length)).DefaultIfEmpty(0).Max();
            foreach (var s in scenarios) stdout.WriteLine($"{s.Name.PadRight(nameWidth)}  {s.File}");
            foreach (var s in selectedScripts) stdout.WriteLine($"{s.Name.PadRight(nameWidth)}  {s.File}");
            int count = scenarios.Count + selectedScripts.Count;
            stdout.WriteLine($"{count} scenario{(count == 1 ? "" : "s")} would run (of {loaded.Count + scripts.Count})");
            return Program.ExitOk;
        }
        if (scenarios.Count == 0 && selectedScripts.Count == 0)
        {
            // An empty shard is legitimate: more CI jobs than scenarios. Its report says so as a skipped case.
            stdout.WriteLine($"0 scenarios selected (of {loaded.Count})");
            if (settings.JUnit is { } emptyJUnit)
                JUnitReport.Write(emptyJUnit, [new JUnitReport.Case("no scenario selected", "(selection)", 0, true, 0, null)
                    { Skipped = $"this selection{(settings.Shard is { } sh ? $" (shard {sh.K}/{sh.N})" : "")} holds none of the {loaded.Count} scenarios" }],
                    0, RunProperties(settings));
            if (settings.Report is { } emptyReport) NewReportPage(settings, 0).Write(emptyReport);
            return Program.ExitOk;
        }

        if (settings.Wire == ScenarioWire.Tap && scenarios.Any(s => s.HasRealWireHost) &&
            Netstack.Harness.Linux.TapPrerequisites.MissingReason() is { } missing)
        {
            stderr.WriteLine($"harness: --wire tap: {missing}");
            return Program.ExitUsage;
        }

        var runner = new ScenarioRunner();
        var terminal = TerminalOutput.For(stdout);
        var reportPage = settings.Report is null ? null : NewReportPage(settings, scenarios.Count);
        var junit = new List<JUnitReport.Case>();
        int width = Math.Min(48, scenarios.Select(s => s.Name.Length).Concat(selectedScripts.Select(s => s.Name.Length)).Max());
        int failed = 0, skipped = 0, runs = 0;
        var wall = Stopwatch.StartNew();
        int position = 0;
        int notRun = 0;
        foreach (var scenario in scenarios)
        {
            if (settings.FailFast && failed > 0)
            {
                notRun++;
                junit.Add(new JUnitReport.Case(scenario.Name, scenario.File, settings.Seed ?? scenario.Seed, true, 0, null) { Skipped = FailFastReason });
                continue;
            }
            position++;
            if (settings.Seeds is { } range)
            {
                if (!RunSeeds(scenario, range, settings, runner, terminal, width, junit, reportPage, ref runs)) failed++;
                continue;
            }
            if (scenarios.Count > 1) terminal.Progress($"[{position}/{scenarios.Count}] {scenario.Name} ({wall.Elapsed.TotalSeconds:0.0} s)");
            var options = new RunOptions { OutputDirectory = settings.Output, Format = settings.Format, Seed = settings.Seed, Wire = settings.Wire, Capture = settings.Capture };
            var started = wall.Elapsed;
            ScenarioResult result;
            try
            {
                result = runner.Run(scenario, options);
            }
            catch (RunInterruptedException e)
            {
                // The runner removed what it made on the way out; say so and stop the whole run.
                terminal.WriteLine($"{terminal.Verdict("STOP")}  {scenario.Name.PadRight(width)}  {e.Message}; its namespace and tap were removed");
                stderr.WriteLine($"harness: {e.Message} during {scenario.File}; {runs} scenario(s) had finished");
                return Program.ExitInterrupted;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or Netstack.Drivers.Tap.TapUnavailableException)
            {
                // The real wire could not be set up (a command failed, the tap was refused): this scenario fails with why.
                result = new ScenarioResult(scenario.Name, scenario.File, settings.Seed ?? scenario.Seed, false, Duration.Zero, 0, null,
                    [new StepFailure(0, $"{scenario.File}:1:1: the tap wire could not be set up: {e.Message}")], new Netstack.Harness.Trace.FrameLog());
            }
            runs++;
            reportPage?.Add(result, scenario);
            if (result.Skipped)
            {
                skipped++;
                junit.Add(new JUnitReport.Case(scenario.Name, scenario.File, result.Seed, true, 0, null) { Skipped = result.SkipReason });
                terminal.WriteLine($"{terminal.Verdict("SKIP")}  {scenario.Name.PadRight(width)}  {result.SkipReason}");
                continue;
            }
            junit.Add(new JUnitReport.Case(scenario.Name, scenario.File, result.Seed, result.Passed,
                (wall.Elapsed - started).TotalSeconds, result.Passed ? null : result.FailureMessage));
            terminal.WriteLine(FormatLine(result, width, terminal));
            foreach (var line in result.InconclusiveRuns) terminal.WriteLine("    " + line);
            if (!PrintDetails(result, settings.Trace, stdout)) failed++;
        }
        int skippedAssertions = 0;
        foreach (var script in selectedScripts)
        {
            if (settings.FailFast && failed > 0)
            {
                notRun++;
                junit.Add(new JUnitReport.Case(script.Name, script.File, settings.Seed ?? 1, true, 0, null) { Skipped = FailFastReason });
                continue;
            }
            var started = wall.Elapsed;
            runs++;
            if (settings.Wire == ScenarioWire.Tap && Netstack.Harness.Linux.TapPrerequisites.MissingReason() is { } cannot)
            {
                stderr.WriteLine($"harness: --wire tap: {cannot}");
                return Program.ExitUsage;
            }
            ScenarioResult result;
            try
            {
                result = Netstack.Harness.Packetdrill.Execution.PacketdrillRunner.Run(script,
                    new RunOptions
                    {
                        OutputDirectory = settings.Output, Format = settings.Format, Seed = settings.Seed, Wire = settings.Wire,
                        Capture = settings.Capture, Personality = settings.Personality,
                    });
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A defect of the runner, not a verdict on the stack: the script fails with what went wrong, no trace.
                result = new ScenarioResult(script.Name, script.File, settings.Seed ?? 1, false, Duration.Zero, 0, null,
                    [new StepFailure(0, $"{script.File}:1:1: the runner failed ({e.GetType().Name}: {e.Message}); please report it")], new FrameLog());
            }
            junit.Add(new JUnitReport.Case(script.Name, script.File, result.Seed, result.Passed,
                (wall.Elapsed - started).TotalSeconds, result.Passed ? null : result.FailureMessage));
            terminal.WriteLine(FormatLine(result, width, terminal) +
                             (result.SkippedAssertions.Count > 0 ? $"  ({result.SkippedAssertions.Count} assertions skipped)" : ""));
            skippedAssertions += result.SkippedAssertions.Count;
            reportPage?.Add(result, null);
            foreach (var line in result.SkippedAssertions) stdout.WriteLine("    skipped: " + line);
            if (!PrintDetails(result, settings.Trace, stdout)) failed++;
        }
        wall.Stop();
        terminal.ClearProgress();
        int total = scenarios.Count + selectedScripts.Count, available = loaded.Count + scripts.Count;
        var selected = total == available ? "" : $" (selected from {available})";
        var seedText = settings.Seeds is { } sr ? $", {runs} runs over seeds {sr.First}..{sr.Last}" : "";
        int passedCount = total - failed - skipped - notRun;
        if (notRun > 0)
            stdout.WriteLine($"--fail-fast: stopped at the first failing scenario; {notRun} scenario{(notRun == 1 ? " was" : "s were")} not run");
        stdout.WriteLine(
            $"{terminal.Bold($"{total} scenario{(total == 1 ? "" : "s")}")}{selected}: " +
            $"{(passedCount > 0 ? terminal.Green($"{passedCount} passed") : $"{passedCount} passed")}, {(failed > 0 ? terminal.Red($"{failed} failed") : $"{failed} failed")}" +
            $"{(skipped > 0 ? $", {terminal.Yellow($"{skipped} skipped")}" : "")}{(notRun > 0 ? $", {terminal.Yellow($"{notRun} not run")}" : "")}{(skippedAssertions > 0 ? $", {skippedAssertions} assertions skipped" : "")}" +
            $"{seedText}{(settings.Wire == ScenarioWire.Tap ? " on the tap wire" : "")} " +
            $"({wall.Elapsed.TotalSeconds:0.00} s wall); recordings in {settings.Output}/");
        if (settings.JUnit is { } junitPath) JUnitReport.Write(junitPath, junit, wall.Elapsed.TotalSeconds, RunProperties(settings));
        if (reportPage is not null && settings.Report is { } reportPath)
        {
            reportPage.Write(reportPath);
            stdout.WriteLine($"report: {reportPath}");
        }
        return failed == 0 ? Program.ExitOk : Program.ExitFailed;
    }

    /// <summary>Runs one scenario under every seed of the range without recording, then re-runs the first
    /// failing seed with its recording so it can be opened. Returns whether every seed passed.</summary>
    private static bool RunSeeds(Scenario scenario, (ulong First, ulong Last) range, Settings settings, ScenarioRunner runner,
        TerminalOutput terminal, int width, List<JUnitReport.Case> junit, RunReportPage? reportPage, ref int runs)
    {
        var failing = new List<ScenarioResult>(); // with their reports
        ScenarioResult? drawn = null; // the run whose frames the HTML report shows
        var table = new List<ScenarioResult>();
        var longest = Duration.Zero;
        int frames = 0;
        var watch = Stopwatch.StartNew();
        for (ulong seed = range.First; ; seed++)
        {
            terminal.Progress($"{scenario.Name}: seed {seed} ({seed - range.First + 1} of {range.Last - range.First + 1}), " +
                              $"{failing.Count} failing so far, {watch.Elapsed.TotalSeconds:0.0} s");
            var result = runner.Run(scenario, new RunOptions { OutputDirectory = null, Seed = seed });
            runs++;
            longest = Duration.Max(longest, result.VirtualTime);
            frames += result.Frames;
            if (!result.Passed) failing.Add(result);
            table.Add(result with { Recording = null!, Failures = [] }); // keep the numbers, not the frames
            if (seed == range.Last) break;
        }
        ulong count = range.Last - range.First + 1;
        var verdict = failing.Count == 0 ? "PASS" : "FAIL";
        terminal.WriteLine($"{terminal.Verdict(verdict)}  {scenario.Name.PadRight(width)}  {Seconds(longest),10}  {frames,5} frames  " +
                         $"seeds {range.First}..{range.Last}: {count - (ulong)failing.Count} passed, {failing.Count} failed");
        // Per seed: verdict, virtual completion time, TCP retransmissions, frames.
        var stdout = terminal.Writer;
        stdout.WriteLine($"    {"seed",8}  {"result",-6}  {"completed",14}  {"retransmits",11}  {"frames",7}");
        foreach (var r in table)
            stdout.WriteLine($"    {r.Seed,8}  {(r.Passed ? "pass" : "FAIL"),-6}  {PreciseSeconds(r.VirtualTime),14}  {r.TcpRetransmissions,11}  {r.Frames,7}");
        if (table.Count > 1)
        {
            var times = table.Select(r => r.VirtualTime).Order().ToArray();
            var rtx = table.Select(r => r.TcpRetransmissions).Order().ToArray();
            stdout.WriteLine($"    completed: min {PreciseSeconds(times[0])}, median {PreciseSeconds(times[times.Length / 2])}, " +
                             $"max {PreciseSeconds(times[^1])}; retransmits: min {rtx[0]}, median {rtx[rtx.Length / 2]}, max {rtx[^1]}");
        }
        if (failing.Count > 0)
        {
            stdout.WriteLine($"    failing seeds: {string.Join(", ", failing.Take(20).Select(f => f.Seed))}{(failing.Count > 20 ? ", ..." : "")}");
            var first = runner.Run(scenario, new RunOptions { OutputDirectory = settings.Output, Format = settings.Format, Seed = failing[0].Seed, Capture = settings.Capture });
            drawn = first;
            stdout.WriteLine($"    reproduce: {Reproduce(scenario, first.Seed)}");
            foreach (var line in first.FailureMessage.Split(Environment.NewLine))
                stdout.WriteLine("    " + line);
        }
        if (reportPage is not null)
        {
            // All seeds passed: the report draws the first seed's frames, run again in memory.
            drawn ??= runner.Run(scenario, new RunOptions { OutputDirectory = null, Seed = range.First });
            reportPage.Add(drawn, scenario, table.Select(r => new SeedHistogram.Seed(r.Seed, r.VirtualTime, r.Passed, r.TcpRetransmissions)).ToList());
        }
        // One JUnit case per seed, so CI lists which seeds failed and how to reproduce each.
        double perSeed = watch.Elapsed.TotalSeconds / table.Count;
        var failures = failing.ToDictionary(f => f.Seed);
        foreach (var r in table)
        {
            string? failure = failures.TryGetValue(r.Seed, out var f)
                ? $"seed {r.Seed} failed; reproduce: {Reproduce(scenario, r.Seed)}{Environment.NewLine}{f.FailureMessage}"
                : null;
            junit.Add(new JUnitReport.Case($"{scenario.Name} seed {r.Seed}", scenario.File, r.Seed, r.Passed, perSeed, failure)
            {
                Figures =
                [
                    new("seed", r.Seed.ToString(CultureInfo.InvariantCulture)),
                    new("virtual-seconds", r.VirtualTime.TotalSeconds.ToString("0.000000", CultureInfo.InvariantCulture)),
                    new("retransmits", r.TcpRetransmissions.ToString(CultureInfo.InvariantCulture)),
                    new("frames", r.Frames.ToString(CultureInfo.InvariantCulture)),
                ],
            });
        }
        return failing.Count == 0;
    }

    /// <summary>Under a scenario's line: its frames with --trace, and its failure reports. Returns whether it passed.</summary>
    private static bool PrintDetails(ScenarioResult result, bool trace, TextWriter stdout)
    {
        if (trace)
            foreach (var line in GoldenTrace.Lines(result.Recording))
                stdout.WriteLine("    " + line);
        if (result.Passed) return true;
        foreach (var line in result.FailureMessage.Split(Environment.NewLine))
            stdout.WriteLine("    " + line);
        return false;
    }

    private const string FailFastReason = "not run: --fail-fast stopped the run at the first failing scenario";

    private static string Reproduce(Scenario scenario, ulong seed) => $"./harness run {scenario.File} --seed {seed}";

    /// <summary>The run's settings as JUnit suite properties.</summary>
    private static List<KeyValuePair<string, string>> RunProperties(Settings settings)
    {
        var p = new List<KeyValuePair<string, string>>
        {
            new("wire", settings.Wire == ScenarioWire.Tap ? "tap" : "virtual"),
            new("paths", string.Join(' ', settings.Paths)),
        };
        if (settings.Seed is { } seed) p.Add(new("seed", seed.ToString(CultureInfo.InvariantCulture)));
        if (settings.Seeds is { } range) p.Add(new("seeds", $"{range.First}..{range.Last}"));
        if (settings.Shard is { } shard) p.Add(new("shard", $"{shard.K}/{shard.N}"));
        if (settings.Filters.Count > 0) p.Add(new("filter", string.Join(',', settings.Filters)));
        if (settings.FailFast) p.Add(new("fail-fast", "true"));
        return p;
    }

    /// <summary>One line per scenario: verdict, name, when it ended (to the microsecond on the real clock, where
    /// nanoseconds are noise) and how many frames it recorded.</summary>
    private static string FormatLine(ScenarioResult r, int width, TerminalOutput terminal) =>
        $"{terminal.Verdict(r.Passed ? "PASS" : "FAIL")}  {r.Name.PadRight(width)}  {Seconds(r.VirtualTime),10}  {r.Frames,5} frames";

    /// <summary>When a scenario ended, to the millisecond: a fixed width so a column of them lines up.</summary>
    private static string Seconds(Duration time) =>
        time.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + "s";

    /// <summary>To the microsecond, for the per-seed table where seeds differ by less than a millisecond.</summary>
    private static string PreciseSeconds(Duration time) =>
        time.TotalSeconds.ToString("0.000000", CultureInfo.InvariantCulture) + "s";

    private static RunReportPage NewReportPage(Settings settings, int scenarios)
    {
        var command = new List<string> { "./harness", "run" };
        command.AddRange(settings.Paths);
        if (settings.Seed is { } seed) command.Add($"--seed {seed}");
        if (settings.Seeds is { } range) command.Add($"--seeds {range.First}..{range.Last}");
        if (settings.Filters.Count > 0) command.Add($"--filter {string.Join(',', settings.Filters)}");
        if (settings.Shard is { } shard) command.Add($"--shard {shard.K}/{shard.N}");
        if (settings.Wire == ScenarioWire.Tap) command.Add("--wire tap");
        return new RunReportPage($"harness run: {scenarios} scenario{(scenarios == 1 ? "" : "s")}") { CommandLine = string.Join(' ', command) };
    }
}
