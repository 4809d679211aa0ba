using System.Text;
using System.Text.RegularExpressions;
using FluentAssertions;
using Netstack.Harness.Reports;
using Netstack.Harness.Running;
using Netstack.Harness.Trace;
using Netstack.Tests.Scenarios;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Reports;

/// <summary>What the HTML report draws, checked against the recording without a browser: a big run's ladder
/// stops at its cap while its graph keeps every segment, retransmissions found on the wire agree with the stack's
/// own counter, cited frames survive the cap, text is escaped, and a replay report shows both sides.</summary>
public class ReportContentTests
{
    private static int Count(string html, string pattern) => Regex.Matches(html, pattern).Count;

    [Test]
    public void A_big_run_caps_the_ladder_with_a_note_and_graphs_every_segment_of_the_transfer()
    {
        using var filters = new FrameFilterCache();
        var scenario = ShippedScenarios.Load(Path.Combine(RepositoryPaths.Scenarios, "hardening-tcp-1mb-lossy.yaml"), filters);
        var result = new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = null });
        result.Passed.Should().BeTrue(result.FailureMessage);
        result.Frames.Should().BeGreaterThan(LadderDiagram.DefaultMaxFrames * 2, "the scenario is big enough to cap");
        var page = new RunReportPage("big");
        page.Add(result, scenario);
        var html = page.Render();

        Count(html, @"<path class=""arrow ").Should().Be(LadderDiagram.DefaultMaxFrames);
        html.Should().Contain($"{LadderDiagram.DefaultMaxFrames} of {result.Frames} frames drawn")
            .And.Contain($"frames #{LadderDiagram.DefaultMaxFrames + 1}\u2013#{result.Frames} ({result.Frames - LadderDiagram.DefaultMaxFrames}) not drawn");

        // Only the client sends data, so there is one graph; every segment of the client that occupies sequence
        // space (read from the recording here) is a bar in it.
        Count(html, "<svg class=\"tsg\"").Should().Be(1);
        var client = result.Recording.Frames.Select(f => TcpView.Read(f.Bytes)).First(v => v is { } t && t.Flags == TcpView.Syn)!.Value.Source;
        var occupying = result.Recording.Frames.Select(f => TcpView.Read(f.Bytes)).Where(v => v is { } t && t.Source == client &&
            (t.PayloadLength > 0 || (t.Flags & (TcpView.Syn | TcpView.Fin)) != 0)).ToList();
        Count(html, @"<path class=""seg[ ""]").Should().Be(occupying.Count);
        // Retransmissions as the wire shows them (sequence space sent again) are what the stacks counted.
        Count(html, @"<path class=""seg rtx").Should().Be((int)result.TcpRetransmissions);
        var dropped = result.Recording.Frames.Count(f => f.Notes.Any(n => n.StartsWith("dropped toward")) &&
                                                        TcpView.Read(f.Bytes) is { PayloadLength: > 0 } v && v.Source == client);
        Count(html, @"<path class=""drop-mark""").Should().Be(dropped, "each data segment the wire dropped is crossed out");
    }

    [Test]
    public void Zero_window_probes_are_marked_as_probes_not_retransmissions()
    {
        using var filters = new FrameFilterCache();
        var scenario = ShippedScenarios.Load(Path.Combine(RepositoryPaths.Scenarios, "tcp-zero-window.yaml"), filters);
        var result = new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = null });
        var page = new RunReportPage("zero window");
        page.Add(result, scenario);
        var html = page.Render();
        Count(html, @"<path class=""seg probe""").Should().BeGreaterThan(1, "the sender probes the closed window more than once");
        Count(html, @"<path class=""seg rtx").Should().Be((int)result.TcpRetransmissions, "probes are not what the stack counts as retransmissions");
        html.Should().MatchRegex(@"\d+ zero-window probes</figcaption>");
    }

    [Test]
    public void Frames_a_failure_cites_past_the_cap_are_drawn_with_their_neighbours()
    {
        var shown = LadderDiagram.Select(1000, new HashSet<int> { 900 }, 400);
        shown.Should().HaveCount(400);
        shown.Should().Contain(Enumerable.Range(892, 17), "eight frames either side of the cited one");
        shown.Should().Contain(Enumerable.Range(1, 383)).And.NotContain(384);
        LadderDiagram.Select(30, new HashSet<int> { 7 }, 400).Should().Equal(Enumerable.Range(1, 30));
    }

    [Test]
    public void Text_from_scenarios_and_frames_is_escaped()
    {
        HtmlText.Escape("<script>alert('x')</script> & \"q\"").Should()
            .Be("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
        HtmlText.Escape("tab\tbell\u0007").Should().Be("tab\tbell\uFFFD");
        HtmlText.Escape("plain").Should().BeSameAs("plain");
    }

    [Test]
    public void The_same_run_writes_the_same_page()
    {
        using var filters = new FrameFilterCache();
        var scenario = ShippedScenarios.Load(Path.Combine(RepositoryPaths.Scenarios, "tcp-sack-recovery.yaml"), filters);
        string Render()
        {
            var page = new RunReportPage("twice");
            page.Add(new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = null }), scenario);
            return page.Render();
        }
        Render().Should().Be(Render());
    }

    [Test]
    public void A_replay_report_shows_the_capture_and_the_replay_with_every_frame()
    {
        HeadlessChromium.Require();
        var dir = RepositoryPaths.FreshOutputDirectory("html-report-replay");
        var report = Path.Combine(dir, "replay.html");
        var (exit, stdout, stderr) = CliRunner.Run("replay", Path.Combine(RepositoryPaths.Root, "captures", "tcp-http.pcap"),
            "--as", "192.0.2.2", "--out", dir, "--report", report);
        exit.Should().Be(0, stdout + stderr);
        stdout.Should().Contain($"report: {report}");
        var captured = CaptureFileReader.Read(Path.Combine(RepositoryPaths.Root, "captures", "tcp-http.pcap")).Records.Count;
        var replayed = CaptureFileReader.Read(Path.Combine(dir, "tcp-http.replay.pcap")).Records.Count;

        var page = HeadlessChromium.Load(report);
        page.ConsoleMessages.Should().BeEmpty();
        var sections = Regex.Split(page.Dom, @"(?=<section class=""scenario)").Skip(1).ToList();
        sections.Should().HaveCount(2);
        Count(sections[0], @"<path class=""arrow ").Should().Be(captured);
        Count(sections[1], @"<path class=""arrow ").Should().Be(replayed);
        sections[1].Should().Contain("192.0.2.2 (our stack)").And.Contain("4 exchanges equivalent, 0 different");
        Count(sections[1], @"<svg class=""tsg""").Should().Be(2, "both ends of the HTTP exchange send data");
    }
}
