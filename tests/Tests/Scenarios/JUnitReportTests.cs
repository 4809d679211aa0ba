using System.Xml.Linq;
using FluentAssertions;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>JUnit for CI, always: per-seed cases with how to reproduce each failing seed, a report even when a file is
/// broken or a shard is empty, no byte-order mark, properties only where the Ant schema has them, and
/// <c>harness merge</c> putting sharded reports back together.</summary>
public class JUnitReportTests
{
    private const string CoinScenarioYaml = CoinScenario.Yaml;

    private static string Coin(string dir) => CoinScenario.WriteTo(dir);

    private static XElement Suite(string report) => XDocument.Load(report).Root!.Element("testsuite")!;

    private static HashSet<string> FailingSeedsPrinted(string stdout) =>
        stdout.Split('\n').Single(l => l.Contains("failing seeds:")).Split(':')[1]
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();

    [Test]
    public void A_seed_sweep_writes_one_case_per_seed_with_its_figures_and_how_to_reproduce_a_failure()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("junit-seeds");
        var file = Coin(dir);
        var report = Path.Combine(dir, "junit.xml");
        var (exit, stdout, _) = CliRunner.Run("run", file, "--out", dir, "--seeds", "1..16", "--junit", report);
        exit.Should().Be(1);

        var suite = Suite(report);
        var cases = suite.Elements("testcase").ToList();
        cases.Should().HaveCount(16);
        cases.Select(c => c.Attribute("name")!.Value).Should().Equal(Enumerable.Range(1, 16).Select(s => $"coin seed {s}"));
        var failing = cases.Where(c => c.Element("failure") is not null).ToList();
        failing.Select(c => c.Attribute("name")!.Value.Split(' ')[^1]).Should().BeEquivalentTo(FailingSeedsPrinted(stdout));
        suite.Attribute("failures")!.Value.Should().Be(failing.Count.ToString());
        foreach (var c in failing)
        {
            var seed = c.Attribute("name")!.Value.Split(' ')[^1];
            c.Element("failure")!.Value.Should().Contain($"reproduce: ./harness run {file} --seed {seed}");
        }
        cases[0].Element("system-out")!.Value.Should().MatchRegex(@"^seed=1 virtual-seconds=\d+\.\d{6} retransmits=0 frames=\d+$");

        // Properties belong to the suite in the Ant/Jenkins schema, not to a testcase.
        cases.Should().OnlyContain(c => c.Element("properties") == null);
        suite.Element("properties")!.Elements("property")
            .Should().Contain(p => p.Attribute("name")!.Value == "seeds" && p.Attribute("value")!.Value == "1..16");
        File.ReadAllBytes(report).Take(3).Should().NotEqual(new byte[] { 0xEF, 0xBB, 0xBF }, "no byte-order mark");
    }

    [Test]
    public void A_broken_file_still_writes_a_report_with_the_error_located()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("junit-broken");
        var scenarios = Directory.CreateDirectory(Path.Combine(dir, "s")).FullName;
        File.WriteAllText(Path.Combine(scenarios, "good.yaml"), CoinScenarioYaml.Replace("name: coin", "name: good"));
        File.WriteAllText(Path.Combine(scenarios, "bad.yaml"), "name: bad\nhosts:\n  a: { ip: 192.0.2.10/24, colour: blue }\nsteps: []\n");
        var report = Path.Combine(dir, "junit.xml");

        var (exit, _, stderr) = CliRunner.Run("run", scenarios, "--out", dir, "--junit", report);

        exit.Should().Be(2);
        var suite = Suite(report);
        suite.Attribute("errors")!.Value.Should().Be("1");
        var error = suite.Elements("testcase").Single().Element("error")!;
        error.Attribute("message")!.Value.Should().StartWith(Path.Combine(scenarios, "bad.yaml") + ":3:").And.Contain("colour");
        stderr.Should().Contain(error.Attribute("message")!.Value);
    }

    [Test]
    public void An_empty_shard_writes_a_report_with_a_skipped_case()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("junit-empty-shard");
        var file = Coin(dir);
        var report = Path.Combine(dir, "junit.xml");
        var (exit, _, _) = CliRunner.Run("run", file, "--out", dir, "--shard", "2/2", "--junit", report);
        exit.Should().Be(0);
        var suite = Suite(report);
        suite.Attribute("tests")!.Value.Should().Be("1");
        suite.Attribute("skipped")!.Value.Should().Be("1");
        suite.Element("testcase")!.Element("skipped")!.Attribute("message")!.Value.Should().Contain("shard 2/2");
    }

    [Test]
    public void Merge_puts_seed_ranges_run_as_separate_jobs_back_into_one_report_and_table()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("junit-merge");
        var file = Coin(dir);
        string whole = Path.Combine(dir, "whole.xml"), first = Path.Combine(dir, "1.xml"), second = Path.Combine(dir, "2.xml");
        var wholeRun = CliRunner.Run("run", file, "--out", dir, "--seeds", "1..16", "--junit", whole);
        CliRunner.Run("run", file, "--out", dir, "--seeds", "1..9", "--junit", first);
        CliRunner.Run("run", file, "--out", dir, "--seeds", "10..16", "--junit", second);

        var merged = Path.Combine(dir, "merged.xml");
        var (exit, stdout, _) = CliRunner.Run("merge", "--out", merged, first, second);

        exit.Should().Be(1, "some seeds failed");
        var root = XDocument.Load(merged).Root!;
        root.Attribute("tests")!.Value.Should().Be("16");
        root.Attribute("failures")!.Value.Should().Be(Suite(whole).Attribute("failures")!.Value);
        root.Elements("testsuite").Should().HaveCount(2);
        FailingSeedsPrinted(stdout).Should().BeEquivalentTo(FailingSeedsPrinted(wholeRun.Out), "the same seeds fail, however the run was split");
        stdout.Should().Contain("FAIL  scenarios.coin  seeds: ").And.Contain("completed: min ");
        stdout.Should().Contain($"merged 2 reports: 16 cases");
    }

    [Test]
    public void Merge_names_a_missing_or_malformed_report()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("junit-merge-bad");
        var missing = Path.Combine(dir, "nope.xml");
        var (exit, _, stderr) = CliRunner.Run("merge", "--out", Path.Combine(dir, "m.xml"), missing);
        exit.Should().Be(2);
        stderr.Trim().Should().Be($"harness: {missing}: no such file");

        var broken = Path.Combine(dir, "broken.xml");
        File.WriteAllText(broken, "<testsuites>\n  <testsuite name=\"x\">\n</testsuites>\n");
        (exit, _, stderr) = CliRunner.Run("merge", "--out", Path.Combine(dir, "m.xml"), broken);
        exit.Should().Be(2);
        stderr.Should().StartWith($"harness: {broken}:3:").And.Contain("not well-formed XML");

        var other = Path.Combine(dir, "other.xml");
        File.WriteAllText(other, "<report/>");
        (exit, _, stderr) = CliRunner.Run("merge", "--out", Path.Combine(dir, "m.xml"), other);
        exit.Should().Be(2);
        stderr.Should().Contain("expected <testsuites> or <testsuite>, found <report>");
    }
}
