using System.Xml.Linq;
using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>The CI-facing options of <c>harness run</c>: --filter, --shard, --seed, --seeds, --junit, --format.</summary>
public class RunOptionsCommandTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var (o, e) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            return (Netstack.Cli.Program.Main(args), stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(o);
            Console.SetError(e);
        }
    }

    private static string[] ScenarioLines(string stdout) =>
        stdout.Split('\n').Where(l => l.StartsWith("PASS") || l.StartsWith("FAIL")).ToArray();

    private static string[] Names(string stdout) =>
        ScenarioLines(stdout).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToArray();

    [Test]
    public void Filter_selects_by_substring_or_glob()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("opt-filter");
        var (exit, stdout, _) = Run("run", RepositoryPaths.Scenarios, "--out", dir, "--filter", "udp");
        exit.Should().Be(0);
        Names(stdout).Should().Equal("conf-udp-closed-port", "conf-udp-echo", "fault-udp-wire", "ipv6-udp", "linux-udp", "udp-closed-port", "udp-delivered");
        int shipped = ShippedScenarios.Files().Count() + Directory.GetFiles(RepositoryPaths.Scenarios, "*.pkt", SearchOption.AllDirectories).Length;
        stdout.Should().Contain($"7 scenarios (selected from {shipped})");

        ScenarioLines(Run("run", RepositoryPaths.Scenarios, "--out", dir, "--filter", "arp-*").Out)
            .Should().HaveCount(2);
    }

    [Test]
    public void Shards_split_the_set_without_overlap()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("opt-shard");
        var all = Names(Run("run", RepositoryPaths.Scenarios, "--out", dir).Out);
        var shards = Enumerable.Range(1, 3)
            .Select(k => Names(Run("run", RepositoryPaths.Scenarios, "--out", dir, "--shard", $"{k}/3").Out))
            .ToList();
        shards.Should().OnlyContain(s => s.Length >= 2);
        shards.SelectMany(s => s).Should().BeEquivalentTo(all);
        Run("run", RepositoryPaths.Scenarios, "--shard", "4/3").Exit.Should().Be(2);
    }

    [Test]
    public void Seeds_run_each_scenario_under_every_seed()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("opt-seeds");
        var (exit, stdout, _) = Run("run", Path.Combine(RepositoryPaths.Scenarios, "icmp-echo.yaml"), "--out", dir, "--seeds", "1..20");
        exit.Should().Be(0, stdout);
        stdout.Should().Contain("seeds 1..20: 20 passed, 0 failed").And.Contain("20 runs over seeds 1..20");
    }

    [Test]
    public void A_seed_dependent_failure_names_its_seeds_and_how_to_reproduce_one()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("opt-seed-fail");
        var file = CoinScenario.WriteTo(dir);
        var (exit, stdout, _) = Run("run", file, "--out", dir, "--seeds", "1..16");
        exit.Should().Be(1);
        var failing = stdout.Split('\n').Single(l => l.Contains("failing seeds:"));
        var firstSeed = failing.Split(':')[1].Split(',')[0].Trim();
        stdout.Should().Contain($"reproduce: ./harness run {file} --seed {firstSeed}");

        Run("run", file, "--out", dir, "--seed", firstSeed).Exit.Should().Be(1, "the printed seed reproduces the failure");
        var passingSeed = Enumerable.Range(1, 16).Select(s => s.ToString()).First(s => !failing.Contains($" {s},") && !failing.EndsWith($" {s}"));
        Run("run", file, "--out", dir, "--seed", passingSeed).Exit.Should().Be(0);
    }

    [Test]
    public void Junit_report_lists_each_scenario_with_failures()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("opt-junit");
        var scenarios = Directory.CreateDirectory(Path.Combine(dir, "s")).FullName;
        File.Copy(Path.Combine(RepositoryPaths.Scenarios, "icmp-echo.yaml"), Path.Combine(scenarios, "icmp-echo.yaml"));
        File.WriteAllText(Path.Combine(scenarios, "broken-expectation.yaml"),
            File.ReadAllText(Path.Combine(RepositoryPaths.Scenarios, "udp-delivered.yaml"))
                .Replace("name: udp-delivered", "name: broken-expectation").Replace("data: hello, from", "data: goodbye, from"));
        var report = Path.Combine(dir, "junit.xml");

        var (exit, _, _) = Run("run", scenarios, "--out", dir, "--junit", report);

        exit.Should().Be(1);
        var suite = XDocument.Load(report).Root!.Element("testsuite")!;
        suite.Attribute("tests")!.Value.Should().Be("2");
        suite.Attribute("failures")!.Value.Should().Be("1");
        var failure = suite.Elements("testcase").Single(t => t.Attribute("name")!.Value == "broken-expectation").Element("failure")!;
        failure.Attribute("message")!.Value.Should().Contain("broken-expectation.yaml:").And.Contain("expected udp datagram on b:7 with \"goodbye\"");
        suite.Elements("testcase").Single(t => t.Attribute("name")!.Value == "icmp-echo").Element("failure").Should().BeNull();
    }

    [Test]
    public void Format_pcapng_writes_pcapng_files()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("opt-format");
        var (exit, _, _) = Run("run", Path.Combine(RepositoryPaths.Scenarios, "icmp-echo.yaml"), "--out", dir, "--format", "pcapng");
        exit.Should().Be(0);
        var bytes = File.ReadAllBytes(Path.Combine(dir, "icmp-echo.pcapng"));
        BitConverter.ToUInt32(bytes, 0).Should().Be(0x0A0D0D0Au);
        Run("run", RepositoryPaths.Scenarios, "--format", "pcapx").Exit.Should().Be(2);
    }

    [Test]
    public void Trace_prints_every_frame_under_its_scenario()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("opt-trace");
        var (exit, stdout, _) = Run("run", Path.Combine(RepositoryPaths.Scenarios, "tcp-refused.yaml"), "--out", dir, "--trace");
        exit.Should().Be(0);
        var lines = stdout.Split('\n');
        lines.Count(l => l.StartsWith("    #")).Should().Be(6);
        lines.Should().Contain(l => l.Contains("0.013000  b      IP 192.0.2.11.81 > 192.0.2.10.") && l.Contains(": R. 0:0(0)! ack 1 win 0"));
    }

    [TestCase("1/1", 1, 1)]
    [TestCase("2/4", 2, 4)]
    public void Parses_shards(string text, int k, int n)
    {
        ScenarioSelection.TryParseShard(text, out var kk, out var nn).Should().BeTrue();
        (kk, nn).Should().Be((k, n));
    }

    [TestCase("0/3")]
    [TestCase("3")]
    [TestCase("a/b")]
    public void Rejects_bad_shards(string text) => ScenarioSelection.TryParseShard(text, out _, out _).Should().BeFalse();
}
