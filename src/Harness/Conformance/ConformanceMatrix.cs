using System.Diagnostics;
using Netstack.Harness.Linux;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;

namespace Netstack.Harness.Conformance;

/// <summary>Runs implementation-neutral scenarios once per implementation, with one host (the role, <c>sut</c> by
/// default) played by it: <c>ours</c> on the virtual wire (a host whose file says <c>played-by: linux</c> is our stack
/// there), <c>linux</c>, <c>lwip</c> and <c>slirp</c> on the tap wire. Each scenario file is loaded again as if it
/// said so, so everything the loader checks (services the implementation offers, addresses it can take, steps that
/// need an API it lacks) makes the cell not applicable with the loader's located reason. After every real-wire
/// cell it checks that the run left no namespace or process behind.</summary>
public sealed class ConformanceMatrix(string role = ConformanceMatrix.DefaultRole)
{
    public const string DefaultRole = "sut";
    public static readonly IReadOnlyList<string> Implementations = ["ours", "ours-tap", "linux", "lwip", "slirp"];

    public string Role { get; } = role;

    /// <summary>Called with each cell as it completes (to print progress); never from two threads at once.</summary>
    public Action<MatrixCell>? OnCell { get; init; }

    /// <summary>Cells run at once. Every cell has its own loop, namespace, bridge and tap, so cells do not meet; a
    /// real-wire cell mostly waits on the clock (retransmission timers, a process starting), which is why running a
    /// few together costs the others little. With more than one, what a run left behind is checked once at the end
    /// (<see cref="LeftBehind"/>) instead of after each cell (another cell's namespace would look left behind).</summary>
    public int Jobs { get; init; } = 1;

    /// <summary>The documented outcomes (docs/conformance.md), when known: a cell documented to differ is not let pass
    /// on the allowance for the harness's own stall (<see cref="RunOptions.PassMustKeepTime"/>), which could hide a
    /// difference of timing.</summary>
    public MatrixExpectations? Expectations { get; init; }

    /// <summary>What the runs left on the machine, checked after the last cell when <see cref="Jobs"/> &gt; 1.</summary>
    public IReadOnlyList<string> LeftBehind { get; private set; } = [];

    /// <summary>Runs every file against every implementation; the cells come back in file order, then implementation
    /// order, however many ran at once. Recordings go to <paramref name="outputDirectory"/>/IMPLEMENTATION/ (none when
    /// null).</summary>
    public IReadOnlyList<MatrixCell> Run(IReadOnlyList<string> files, IReadOnlyList<string> implementations, string? outputDirectory)
    {
        var work = (from file in files from implementation in implementations select (File: file, Implementation: implementation)).ToList();
        var cells = new MatrixCell[work.Count];
        var gate = new object();
        bool perCellCheck = Jobs <= 1;
        int next = -1;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
        void Work()
        {
            using var filters = new FrameFilterCache();
            for (int i; failure is null && (i = Interlocked.Increment(ref next)) < work.Count;)
            {
                try
                {
                    var (file, implementation) = work[i];
                    cells[i] = RunCell(file, implementation, filters, outputDirectory is null ? null : Path.Combine(outputDirectory, implementation), perCellCheck);
                    lock (gate) OnCell?.Invoke(cells[i]);
                }
                catch (Exception e)
                {
                    // An interruption (Ctrl-C) or a harness defect: the other workers stop taking cells.
                    lock (gate) failure ??= System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
                }
            }
        }
        if (Jobs <= 1) Work();
        else
        {
            var workers = Enumerable.Range(0, Math.Min(Jobs, work.Count)).Select(n => new Thread(Work) { Name = $"matrix {n}" }).ToList();
            foreach (var w in workers) w.Start();
            foreach (var w in workers) w.Join();
            LeftBehind = Leftovers();
        }
        failure?.Throw();
        return cells;
    }

    public MatrixCell RunCell(string file, string implementation, FrameFilterCache filters, string? outputDirectory, bool checkLeftovers = true)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        var wall = Stopwatch.StartNew();
        MatrixCell Cell(CellOutcome outcome, string? detail, string? recording = null) =>
            new(name, file, implementation, outcome, detail, wall.Elapsed.TotalSeconds, recording);

        var wire = implementation == "ours" ? ScenarioWire.Virtual : ScenarioWire.Tap;
        Scenario scenario;
        try
        {
            scenario = ScenarioLoader.LoadFile(file, filters, (Role, PlayedBy(implementation)));
        }
        catch (ScenarioFormatException e)
        {
            return Cell(CellOutcome.NotApplicable, e.Errors[0].Message); // the first reason is enough for a cell
        }
        name = scenario.Name;
        if (wire == ScenarioWire.Tap && TapPrerequisites.MissingReason() is { } missing)
            return Cell(CellOutcome.NotApplicable, $"{implementation} runs on the tap wire, but {missing}");
        if (ScenarioRunner.SkipReason(scenario, wire) is { } skip)
            return Cell(CellOutcome.NotApplicable, skip);

        ScenarioResult result;
        try
        {
            bool documentedDifference = Expectations?.For(scenario.Name, implementation).Kind == MatrixExpectations.Kind.Differs;
            result = new ScenarioRunner().Run(scenario,
                new RunOptions { OutputDirectory = outputDirectory, Wire = wire, PassMustKeepTime = documentedDifference });
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or ArgumentException
                                      or Netstack.Drivers.Tap.TapUnavailableException)
        {
            // The implementation could not be started or bridged: that is its cell's failure, with why.
            return LeftBehind() ?? Cell(CellOutcome.Fail, $"{file}:1:1: {implementation} could not be set up: {e.Message}");
        }
        return LeftBehind()
               ?? (result.InconclusiveReason is { } why
                   ? Cell(CellOutcome.Inconclusive, $"{file}:1:1: {why}", result.CapturePath)
                   : result.Passed
                   ? Cell(CellOutcome.Pass, null, result.CapturePath)
                   : Cell(CellOutcome.Fail, result.Failures.OrderBy(f => f.StepIndex).First().Report, result.CapturePath));

        // A run that leaves a namespace or process behind is a harness defect: the cell fails saying what is left.
        MatrixCell? LeftBehind() => checkLeftovers && wire == ScenarioWire.Tap && Leftovers() is { Count: > 0 } left
            ? Cell(CellOutcome.Fail, $"{file}:1:1: the {implementation} run left {string.Join(", ", left)} behind")
            : null;
    }

    /// <summary>The <c>played-by</c> word an implementation is cast as: ours is the host Linux plays on the virtual
    /// wire (our stack there, without the gratuitous ARP Linux does not send); ours-tap is our stack as an external
    /// process behind a tap, like lwip and slirp.</summary>
    public static string PlayedBy(string implementation) => implementation switch
    {
        "ours" or "linux" => "linux",
        _ when KnownExternalStacks.Names.Contains(implementation) => implementation,
        _ => throw new ArgumentException($"unknown implementation '{implementation}' (known: {string.Join(", ", Implementations)})"),
    };

    /// <summary>What runs of this process left on the machine: namespaces (with their bridges and taps), and
    /// processes marked as an external host's. Empty when everything was cleaned up.</summary>
    public static IReadOnlyList<string> Leftovers()
    {
        var pid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var left = new List<string>();
        foreach (var line in CommandRunner.Run("ip", "netns", "list").Output.Split('\n'))
        {
            var ns = line.Split(' ', 2)[0];
            foreach (var prefix in new[] { ExternalStackHost.NamespacePrefix, LinuxPeer.NamespacePrefix })
                if (ns.StartsWith(prefix + pid + "x", StringComparison.Ordinal)) left.Add($"namespace {ns}");
        }
        foreach (var p in MarkedProcesses.Find(ExternalStackHost.NamespaceVariable,
                     v => v.StartsWith(ExternalStackHost.NamespacePrefix + pid + "x", StringComparison.Ordinal)))
            if (File.Exists($"/proc/{p}/stat") && !File.ReadAllText($"/proc/{p}/stat").Contains(") Z ", StringComparison.Ordinal))
                left.Add($"process {p}");
        return left;
    }
}
