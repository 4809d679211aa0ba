using FluentAssertions;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Hardening;

/// <summary>Wrong command lines and broken capture files given to the tools: each gets exactly this one-line
/// message (after "harness: ") and exit code 2, never a stack trace. The captures are in BadInput/, cut or
/// damaged copies of the icmp-echo recording. (Broken scenario files: tests/Tests/Scenarios/Broken.)</summary>
public class BadToolInputTests
{
    private static readonly int ShippedScenarioCount =
        Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "scenarios"), "*.y*ml", SearchOption.AllDirectories).Length +
        Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "scenarios"), "*.pkt", SearchOption.AllDirectories).Length;

    private static (int Exit, string Out, string Err) Harness(params string[] args) => CliRunner.Run(args);

    private const string Usage = "Run './harness --help' for usage.";

    /// <summary>(command line, the lines expected on stderr).</summary>
    private static readonly (string Args, string[] Err)[] CommandLines =
    [
        ("nosuchcommand", ["harness: Required command was not provided.", "harness: Unrecognized command or argument 'nosuchcommand'.", Usage]),
        ("run", ["harness: Required argument missing for command: 'run'.", Usage]),
        ("run scenarios/icmp-echo.yaml --seeds 5..1", ["harness: --seeds 5..1: the range is empty"]),
        ("run scenarios/icmp-echo.yaml --seeds x", ["harness: --seeds must be a range A..B, like 1..100, found 'x'"]),
        ("run scenarios/icmp-echo.yaml --seed 1 --seeds 1..2", ["harness: use --seed or --seeds, not both"]),
        ("run scenarios/ --shard 3/2", ["harness: --shard must be K/N with 1 <= K <= N, like 2/4, found '3/2'"]),
        ("run scenarios/ --format xml", ["harness: Argument 'xml' not recognized. Must be one of:", "\t'pcap'", "\t'pcapng'", Usage]),
        ("run scenarios/ --bogus", ["harness: no such file or directory: --bogus"]), // run takes any word as a path
        ("fuzz --frames 0", ["harness: --frames must be positive"]),
        ("fuzz --frames abc", ["harness: Cannot parse argument 'abc' for option '--frames' as expected type 'System.Int64'.", Usage]),
        ("fuzz --seed -1", ["harness: Cannot parse argument '-1' for option '--seed' as expected type 'System.UInt64'.", Usage]),
        ("fuzz --corpus /nonexistent/x.pcap", ["harness: /nonexistent/x.pcap: no such capture file"]),
        ("fuzz --corpus tests/Tests/Hardening/BadInput", ["harness: tests/Tests/Hardening/BadInput: is a directory, not a capture file"]),
        ("bench --bogus", ["harness: Unrecognized command or argument '--bogus'.", Usage]),
        ("run scenarios --filter no-such-scenario", [$"harness: --filter 'no-such-scenario' matches none of the {ShippedScenarioCount} scenarios"]),
    ];

    /// <summary>(capture in BadInput/, what follows "harness: PATH: " on stderr).</summary>
    private static readonly (string File, string Message)[] Captures =
    [
        ("empty.pcap", "cannot read capture: Unable to open offline adapter: truncated dump file; tried to read 4 file header bytes, only got 0"),
        ("short-file-header.pcap", "cannot read capture: Unable to open offline adapter: truncated dump file; tried to read 24 file header bytes, only got 6"),
        ("text.pcap", "cannot read capture: Unable to open offline adapter: unknown file format"),
        ("header-only.pcap", "no Ethernet IPv4 or ARP frames to add to the corpus"),
        ("truncated-record-header.pcap", "cannot read capture: truncated or corrupt at byte 24 (record 1): truncated dump file; tried to read 16 header bytes, only got 6"),
        ("truncated-last-record.pcap", "cannot read capture: truncated or corrupt at byte 898 (record 10): truncated dump file; tried to read 98 captured bytes, only got 91"),
        ("huge-caplen.pcap", "cannot read capture: truncated or corrupt at byte 24 (record 1): invalid packet capture length 2147483647, bigger than snaplen of 65535"),
        ("truncated.pcapng", "cannot read capture: Unable to open offline adapter: truncated pcapng dump file; tried to read 16 bytes, only got 2"),
        ("huge-timestamp.pcap", "cannot read capture: record 3: timestamp 18446744073709551615 s is out of range (after the year 2262)"),
        ("if-tsoffset-max.pcapng", "cannot read capture: record 1: timestamp 9223372038622001407 s is out of range (after the year 2262)"),
    ];

    /// <summary>(capture in BadInput/, what follows "harness: PATH: " on stderr from `harness replay`).</summary>
    private static readonly (string File, string Message)[] Replays =
    [
        ("huge-timestamp.pcap", "record 3: timestamp 18446744073709551615 s is out of range (after the year 2262)"),
        ("if-tsoffset-max.pcapng", "record 1: timestamp 9223372038622001407 s is out of range (after the year 2262)"),
        ("frames-23-days-apart.pcap", "frame 3 is 2000000 s after the earliest frame; a replay spans at most 1000000 s"),
    ];

    /// <summary>Broken scenarios (tests/Tests/Scenarios/Broken) that crashed or hung the CLI before issue 18.</summary>
    private static readonly string[] HostileScenarios =
    [
        "overflow-at", "overflow-at-window", "overflow-latency", "overflow-timeout", "overflow-interval",
        "overflow-fault-by", "overflow-bandwidth", "nested-too-deep", "alias-expansion-key", "alias-expansion-value",
    ];

    public static IEnumerable<TestCaseData> CommandLineCases() =>
        CommandLines.Select(c => new TestCaseData(c.Args, c.Err).SetName($"harness {c.Args}"));

    public static IEnumerable<TestCaseData> CaptureCases() =>
        Captures.Select(c => new TestCaseData(c.File, c.Message).SetName($"harness fuzz --corpus {c.File}"));

    [TestCaseSource(nameof(CommandLineCases))]
    public void Wrong_command_line(string args, string[] expectedErr)
    {
        var previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = RepositoryPaths.Root; // relative paths as a user in the repository types them
        try
        {
            var (exit, _, err) = Harness(args.Split(' '));
            exit.Should().Be(2, err);
            Lines(err).Should().Equal(expectedErr);
            NoStackTrace(err);
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    [TestCaseSource(nameof(CaptureCases))]
    public void Broken_capture_for_the_fuzz_corpus(string file, string message)
    {
        var path = RepositoryPaths.TestsFolder("Hardening", "BadInput", file);
        File.Exists(path).Should().BeTrue();
        var (exit, stdout, err) = Harness("fuzz", "--frames", "10", "--corpus", path);
        exit.Should().Be(2, err);
        Lines(err).Should().Equal($"harness: {path}: {message}");
        stdout.Should().BeEmpty("nothing ran");
        NoStackTrace(err);
    }

    public static IEnumerable<TestCaseData> ReplayCases() =>
        Replays.Select(c => new TestCaseData(c.File, c.Message).SetName($"harness replay {c.File}"));

    [TestCaseSource(nameof(ReplayCases))]
    public void Broken_capture_to_replay(string file, string message)
    {
        var path = RepositoryPaths.TestsFolder("Hardening", "BadInput", file);
        var (exit, stdout, err) = Harness("replay", path, "--as", "192.0.2.11");
        exit.Should().Be(2, err);
        Lines(err).Should().Equal($"harness: {path}: {message}");
        stdout.Should().BeEmpty("nothing ran");
        NoStackTrace(err);
    }

    public static IEnumerable<TestCaseData> HostileScenarioCases() =>
        HostileScenarios.Select(n => new TestCaseData(n).SetName($"harness run Broken/{n}.yaml"));

    /// <summary>The process answers (within the test's time limit) with the location and exit 2.</summary>
    [TestCaseSource(nameof(HostileScenarioCases)), CancelAfter(60_000)]
    public void Hostile_scenario_gets_one_line_with_its_location_and_exit_2(string name)
    {
        var path = RepositoryPaths.TestsFolder("Scenarios", "Broken", name + ".yaml");
        var (exit, _, err) = Harness("run", path, "--out", RepositoryPaths.FreshOutputDirectory("hostile-" + name));
        exit.Should().Be(2, err);
        Lines(err)[0].Should().MatchRegex($"^{System.Text.RegularExpressions.Regex.Escape(path)}:\\d+:\\d+: ");
        NoStackTrace(err);
    }

    [Test]
    public void A_scenario_file_over_the_size_limit_is_refused_before_it_is_read()
    {
        var path = Path.Combine(RepositoryPaths.FreshOutputDirectory("hostile-huge"), "huge.yaml");
        using (var f = File.Create(path)) f.SetLength(5L * 1024 * 1024);
        var (exit, _, err) = Harness("run", path);
        exit.Should().Be(2, err);
        Lines(err)[0].Should().Be($"{path}:1:1: the file is larger than 4 MiB, the limit for a scenario");
    }

    [Test]
    public void The_capture_the_broken_ones_were_cut_from_is_accepted()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("bad-input-good-capture");
        var (runExit, _, _) = Harness("run", Path.Combine(RepositoryPaths.Scenarios, "icmp-echo.yaml"), "--out", dir);
        runExit.Should().Be(0);
        var (exit, stdout, err) = Harness("fuzz", "--frames", "2000", "--corpus", Path.Combine(dir, "icmp-echo.pcap"));
        exit.Should().Be(0, err);
        stdout.Should().Contain("fuzz: PASS");
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    private static void NoStackTrace(string err)
    {
        err.Should().NotContain("   at ");
        err.Should().NotContain("Exception");
    }
}
