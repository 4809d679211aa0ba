using System.Text.RegularExpressions;
using System.Xml.Linq;
using FluentAssertions;
using Netstack.Harness.Conformance;
using Netstack.Harness.Linux;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Tap;

/// <summary>`harness matrix scenarios/conformance --against ours,ours-tap,linux,lwip,slirp`: every neutral scenario against our
/// stack (virtual wire), our stack as an external process behind a tap (`harness tap`, the path the third-party stacks
/// take), the Linux kernel, lwIP and libslirp (tap wire), several cells at once. Each cell must be a pass or the documented
/// difference scenarios/conformance/expected.txt lists (which names a finding of docs/conformance.md); a new
/// difference fails. The table, Markdown and JUnit say the same; every recording passes tshark; nothing of the runs
/// (namespace, bridge, tap, process) is left.</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class ConformanceMatrixTests
{
    private static string Conformance => Path.Combine(RepositoryPaths.Scenarios, "conformance");
    private static string Expected => Path.Combine(Conformance, "expected.txt");

    private static readonly string[] Columns = ["ours", "ours-tap", "linux", "lwip", "slirp"];

    private string _out = "";
    private (int Exit, string Out, string Err) _run;

    [OneTimeSetUp]
    public void RunTheMatrix()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
        RequiredTools.Require("slirp4netns", "socat", "gcc");
        _out = RepositoryPaths.FreshOutputDirectory("conformance-matrix");
        _run = CliRunner.Run("matrix", Conformance, "--against", string.Join(',', Columns), "--jobs", "4", "--out", _out,
            "--expect", Expected, "--markdown", Path.Combine(_out, "matrix.md"), "--junit", Path.Combine(_out, "matrix.xml"));
    }

    private static List<string> Scenarios() =>
        Directory.EnumerateFiles(Conformance, "*.yaml").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList()!;

    [Test]
    public void Every_cell_is_a_pass_or_a_documented_difference()
    {
        Scenarios().Should().HaveCountGreaterThanOrEqualTo(10);
        _run.Exit.Should().Be(0, _run.Out + _run.Err);
        _run.Out.Should().Contain($"{Scenarios().Count * Columns.Length} cells:").And.Contain("; 0 not as expected in");
        _run.Out.Should().NotContain("(!)");
        // A documented timing difference can pass only by the allowance for the harness's own stall when the machine
        // stays loaded through every re-run: that cell is no verdict ("inconclusive", with why), never a pass. Only
        // such cells may be inconclusive; each is printed.
        var expected = MatrixExpectations.Load(Expected);
        foreach (var line in _run.Out.Split('\n').Where(l => l.StartsWith("inconclusive  ", StringComparison.Ordinal)))
        {
            TestContext.Out.WriteLine(line);
            var cell = Regex.Match(line, @"^inconclusive  (?<s>\S+) × (?<i>\S+) ");
            expected.For(cell.Groups["s"].Value, cell.Groups["i"].Value).Kind.Should().Be(MatrixExpectations.Kind.Differs, line);
        }
    }

    [Test]
    public void The_table_has_a_row_per_scenario_and_a_column_per_implementation()
    {
        var lines = _run.Out.Split('\n');
        var header = lines.Single(l => l.StartsWith("scenario ", StringComparison.Ordinal));
        header.Split(' ', StringSplitOptions.RemoveEmptyEntries).Should().Equal(["scenario", .. Columns]);
        foreach (var s in Scenarios())
        {
            var row = lines.Single(l => l.StartsWith(s + " ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            row.Skip(1).Should().HaveCount(Columns.Length).And.OnlyContain(w => w == "pass" || w == "differs" || w == "inconclusive", row[0]);
        }
        // Our own stack (on the virtual wire and as an external process) and Linux pass everything: what differs is a
        // third-party stack's finding.
        foreach (var s in Scenarios())
            lines.Single(l => l.StartsWith(s + " ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..4]
                .Should().Equal("pass", "pass", "pass");
    }

    [Test]
    public void Each_documented_difference_is_a_finding_in_docs_conformance_md()
    {
        var docs = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "conformance.md"));
        var references = File.ReadAllLines(Expected).Where(l => !l.StartsWith('#') && l.Contains(": differs: ", StringComparison.Ordinal))
            .Select(l => Regex.Match(l, @": differs: (?<id>[A-Z][0-9]+),").Groups["id"].Value).ToList();
        references.Should().NotBeEmpty().And.OnlyContain(r => r.Length > 0, "each names its finding (L1, S1...)");
        foreach (var id in references) docs.Should().Contain($"| {id} |", $"finding {id} is documented with its frame and RFC");
        foreach (var id in references) _run.Out.Should().Contain($"[{id}, ", $"the table shows {id} where it differs");
    }

    [Test]
    public void Markdown_and_junit_say_what_the_table_says()
    {
        var markdown = File.ReadAllText(Path.Combine(_out, "matrix.md"));
        markdown.Should().Contain("| scenario | ours | ours-tap | linux | lwip | slirp |");
        foreach (var s in Scenarios()) markdown.Should().MatchRegex($@"\| {Regex.Escape(s)} \|( (pass|differs|inconclusive) \|){{5}}");
        var junit = XDocument.Load(Path.Combine(_out, "matrix.xml"));
        var cases = junit.Descendants("testcase").ToList();
        cases.Should().HaveCount(Scenarios().Count * Columns.Length);
        cases.Should().OnlyContain(c => !c.Elements("failure").Any(), "every cell is as expected");
        cases.Select(c => (string)c.Attribute("name")!).Should().Contain("conf-udp-closed-port × slirp");
        cases.Single(c => (string)c.Attribute("name")! == "conf-udp-closed-port × slirp").Element("system-out")!.Value
            .Should().Contain("outcome=differs");
    }

    [Test]
    public void Every_recording_passes_tshark()
    {
        var recordings = Directory.EnumerateFiles(_out, "*.pcap", SearchOption.AllDirectories).ToList();
        recordings.Should().HaveCount(Scenarios().Count * Columns.Length);
        // One tshark per recording, as many at once as there are cores: its start-up, not the capture, is the cost.
        var problems = new System.Collections.Concurrent.ConcurrentDictionary<string, string[]>();
        Parallel.ForEach(recordings, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            pcap => problems[pcap] = TsharkCheck.FindProblems(pcap, null, "10.0.2.2", 7, 9, 40000, 40001));
        problems.Should().HaveCount(recordings.Count);
        foreach (var pcap in recordings) problems[pcap].Should().BeEmpty(pcap);
    }

    [Test]
    public void Nothing_of_the_runs_is_left_behind()
    {
        ConformanceMatrix.Leftovers().Should().BeEmpty();
        var pid = Environment.ProcessId.ToString();
        CommandRunner.Run("ip", "netns", "list").Output.Should().NotContain(ExternalStackHost.NamespacePrefix + pid)
            .And.NotContain(LinuxPeer.NamespacePrefix + pid);
        MarkedProcesses.Find(ExternalStackHost.NamespaceVariable, v => v.Contains(pid + "x")).Should().BeEmpty();
        // The devices live only inside the namespaces: none appeared in the machine's own.
        var links = CommandRunner.Run("ip", "-o", "link", "show").Output;
        links.Should().NotContain(ExternalStackHost.BridgeName + ":").And.NotContain("lwip0").And.NotContain("slirp0").And.NotContain("ours0");
    }
}
