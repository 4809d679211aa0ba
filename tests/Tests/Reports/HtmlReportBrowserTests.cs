using System.Text.RegularExpressions;
using FluentAssertions;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Reports;

/// <summary><c>harness run --report FILE</c> opened in a real browser (Debian's headless chromium): it renders
/// with no console errors and fetches nothing, every frame is an arrow in its scenario's ladder, the faults are
/// marked, the lossy transfer's time-sequence graph marks its retransmissions and losses, and the screenshot is
/// attached to the test output for a person to look at.</summary>
public partial class HtmlReportBrowserTests
{
    [GeneratedRegex(@"^(?:PASS|FAIL)\s+(?<name>\S+)\s+\d+\.\d{3}s\s+(?<frames>\d+) frames", RegexOptions.Multiline)]
    private static partial Regex VerdictLine();

    /// <summary>tcp-sack-recovery with two expectations that cannot hold (an ACK number one short, a third
    /// retransmission): the same frames, and a failure that cites some of them.</summary>
    private static string FailingVariant(string dir)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.Scenarios, "tcp-sack-recovery.yaml"))
            .Replace("name: tcp-sack-recovery", "name: sack-recovery-expects-too-much")
            .Replace("tcp-retransmissions: 3", "tcp-retransmissions: 4")
            .Replace("ack: 40001 }", "ack: 40002 }");
        var file = Path.Combine(dir, "sack-recovery-expects-too-much.yaml");
        File.WriteAllText(file, text);
        return file;
    }

    private static Dictionary<string, string> Sections(string dom) =>
        Regex.Split(dom, @"(?=<section class=""scenario)").Skip(1)
            .ToDictionary(s => Regex.Match(s, @"<h2>([^<]+)</h2>").Groups[1].Value);

    private static int Count(string html, string pattern) => Regex.Matches(html, pattern).Count;

    [Test]
    public void A_run_report_renders_in_chromium_with_a_ladder_per_scenario_and_a_time_sequence_graph_per_tcp_direction()
    {
        HeadlessChromium.Require();
        var dir = RepositoryPaths.FreshOutputDirectory("html-report");
        var report = Path.Combine(dir, "report.html");
        var (exit, stdout, _) = CliRunner.Run("run", FailingVariant(dir),
            Path.Combine(RepositoryPaths.Scenarios, "tcp-sack-recovery.yaml"),
            Path.Combine(RepositoryPaths.Scenarios, "fault-udp-wire.yaml"),
            Path.Combine(RepositoryPaths.Scenarios, "arp-resolution.yaml"),
            "--out", dir, "--report", report);
        exit.Should().Be(1, stdout);
        stdout.Should().Contain($"report: {report}");
        var html = File.ReadAllText(report);
        html.Should().NotMatchRegex(@"(src|href)=""(https?:)?//", "the page must open offline: nothing fetched");

        var page = HeadlessChromium.Load(report);
        page.ConsoleMessages.Should().BeEmpty("the page must render without console errors");
        page.Dom.Should().Contain("<svg class=\"ladder\"", "chromium rendered the page");
        var sections = Sections(page.Dom);
        sections.Keys.Should().BeEquivalentTo("sack-recovery-expects-too-much", "tcp-sack-recovery", "fault-udp-wire", "arp-resolution");

        // One arrow per recorded frame, in every scenario (none is near the ladder's cap).
        var frames = VerdictLine().Matches(stdout).ToDictionary(m => m.Groups["name"].Value, m => int.Parse(m.Groups["frames"].Value));
        frames.Should().HaveCount(4);
        foreach (var (name, count) in frames)
            Count(sections[name], @"<path class=""arrow ").Should().Be(count, $"{name} recorded {count} frames");

        // The lossy transfer: two segments dropped by the wire, both retransmitted in SACK recovery, plus RFC 6675's
        // rescue retransmission of the last segment in flight.
        var sack = sections["tcp-sack-recovery"];
        Count(sack, @"<path class=""fault drop""").Should().Be(2, "the ladder crosses out both dropped segments");
        Count(sack, @"<svg class=""tsg""").Should().Be(1, "only a sends data, so one direction has a graph");
        Count(sack, @"<path class=""seg rtx""").Should().Be(3, "the graph marks both hole fills and the rescue");
        Count(sack, @"<circle class=""rtx-mark""").Should().Be(3);
        Count(sack, @"<path class=""seg lost""|<path class=""drop-mark""").Should().Be(4, "both lost segments are drawn dashed and crossed out");
        Count(sack, @"<line class=""sack""").Should().BeGreaterThan(10, "b's duplicate ACKs carry SACK blocks");
        Count(sack, @"<polyline class=""ack""").Should().Be(1);
        Count(sack, @"<polyline class=""win""").Should().Be(1);
        sack.Should().Contain("40000 bytes in 31 data segments \u00b7 3 retransmitted \u00b7 2 lost on the wire");

        // The failing scenario: verdict, both failures, and the frames they cite linked into the ladder.
        var failing = sections["sack-recovery-expects-too-much"];
        failing.Should().Contain("<span class=\"badge fail\">FAIL</span>").And.Contain("2 failures")
            .And.Contain("ack 40002").And.Contain("tcp-retransmissions = 4");
        Count(failing, @"<a href=""#s0-sack-recovery-expects-too-much-ladder-f\d+"">").Should().BeGreaterThan(3);
        Count(failing, @"<g class=""row cited""").Should().BeGreaterThan(3, "the cited frames stand out in the ladder");

        // Every kind of fault on the UDP wire is marked where it happened.
        var udp = sections["fault-udp-wire"];
        foreach (var kind in new[] { "dup", "delay", "corrupt", "trunc" })
            Count(udp, $@"<g class=""fault {kind}""").Should().Be(1, kind);
        Count(udp, @"<path class=""fault drop""").Should().Be(1, "\"six\" is lost while b's link is down");
        sections["arp-resolution"].Should().Contain("<span class=\"badge pass\">PASS</span>").And.NotContain("<svg class=\"tsg\"");

        var png = Path.Combine(dir, "report.png");
        HeadlessChromium.Screenshot(report, png, 1400, 2400);
        AssertPng(png);
        TestContext.AddTestAttachment(png, "the report of a failing, a lossy TCP, a faulty UDP and an ARP scenario");
    }

    [Test]
    public void A_seed_sweep_report_has_a_completion_time_histogram_with_the_failing_seeds()
    {
        HeadlessChromium.Require();
        var dir = RepositoryPaths.FreshOutputDirectory("html-report-seeds");
        var file = CoinScenario.WriteTo(dir); // some seeds time out and fail, others finish early
        var report = Path.Combine(dir, "seeds.html");
        var (exit, stdout, _) = CliRunner.Run("run", file, "--out", dir, "--seeds", "1..24", "--report", report);
        exit.Should().Be(1, stdout);
        int failingSeeds = stdout.Split('\n').Single(l => l.Contains("failing seeds:")).Split(':')[1].Split(',').Length;

        var page = HeadlessChromium.Load(report);
        page.ConsoleMessages.Should().BeEmpty();
        page.Dom.Should().Contain("<svg class=\"histogram\"");
        var seedsPerBin = Regex.Matches(page.Dom, @"<g class=""bin""><title>(\d+) seeds? completed in [^:]+: (\d+) passed, (\d+) failed")
            .Select(m => (All: int.Parse(m.Groups[1].Value), Passed: int.Parse(m.Groups[2].Value), Failed: int.Parse(m.Groups[3].Value))).ToList();
        seedsPerBin.Sum(b => b.All).Should().Be(24, "every seed is in one bar");
        seedsPerBin.Sum(b => b.Failed).Should().Be(failingSeeds);
        Count(page.Dom, @"<rect class=""bar fail""").Should().BeGreaterThan(0);
        Count(page.Dom, @"<rect class=""bar pass""").Should().BeGreaterThan(0);
        page.Dom.Should().Contain("(the first failing seed)", "the frames drawn are those of a failing seed");

        var png = Path.Combine(dir, "seeds.png");
        HeadlessChromium.Screenshot(report, png, 1200, 1000);
        AssertPng(png);
        TestContext.AddTestAttachment(png, "the report of a 24-seed sweep");
    }

    [Test]
    public void The_check_for_console_errors_sees_an_error_and_an_uncaught_exception()
    {
        HeadlessChromium.Require();
        var dir = RepositoryPaths.FreshOutputDirectory("html-report-console");
        var page = Path.Combine(dir, "broken.html");
        File.WriteAllText(page, "<!DOCTYPE html><p>x</p><script>console.error('boom'); notAFunction();</script>");
        var loaded = HeadlessChromium.Load(page);
        loaded.ConsoleMessages.Should().Contain(m => m.Contains("boom")).And.Contain(m => m.Contains("Uncaught ReferenceError"));
    }

    private static void AssertPng(string path)
    {
        File.Exists(path).Should().BeTrue("chromium writes the screenshot");
        var bytes = File.ReadAllBytes(path);
        bytes.Take(8).Should().Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        // A blank page compresses to a few kilobytes; a rendered report with text and graphs does not.
        bytes.Length.Should().BeGreaterThan(40_000);
    }
}
