using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using static Netstack.Harness.Reports.HtmlText;
using Netstack.Time;

namespace Netstack.Harness.Reports;

/// <summary>One self-contained HTML page for a run (<c>harness run --report FILE</c>): an overview table, then per
/// scenario its verdict, its failures with the frames they cite linked into the ladder diagram, the ladder of
/// every frame between the hosts, and a time-sequence graph for each direction of every TCP connection; for a
/// seed sweep, the histogram of completion times. Everything is inline (CSS and SVG, no script, no fonts or
/// images fetched), and the same run writes the same bytes.</summary>
public sealed partial class RunReportPage(string title)
{
    private readonly List<Entry> _entries = new();

    /// <summary>The command that made the run, shown under the title.</summary>
    public string? CommandLine { get; init; }

    /// <summary>Trusted HTML shown between the header and the overview (e.g. replay's per-flow verdict table).</summary>
    public string? PreludeHtml { get; init; }

    /// <summary>Ladder rows per scenario before the rest is summarised in a note.</summary>
    public int MaxLadderFrames { get; init; } = LadderDiagram.DefaultMaxFrames;

    private sealed record Entry(ScenarioResult Result, Scenario? Scenario, IReadOnlyList<SeedHistogram.Seed>? Seeds, string? Note);

    /// <summary>Adds a scenario's result. <paramref name="seeds"/>: the per-seed outcomes of a sweep, in which case
    /// <paramref name="result"/> is the run whose frames are drawn (the first failing seed, or the first seed).</summary>
    public void Add(ScenarioResult result, Scenario? scenario, IReadOnlyList<SeedHistogram.Seed>? seeds = null, string? note = null) =>
        _entries.Add(new Entry(result, scenario, seeds, note));

    public int Count => _entries.Count;

    public void Write(string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        File.WriteAllText(path, Render(), new UTF8Encoding(false));
    }

    public string Render()
    {
        var html = new StringBuilder(64 * 1024);
        int failed = _entries.Count(Failed);
        int skipped = _entries.Count(e => e.Result.Skipped);
        int passed = _entries.Count - failed - skipped;
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Escape(title)).Append("</title>\n<style>\n").Append(ReportStyle.Css).Append("</style>\n</head>\n<body>\n");
        html.Append("<header class=\"run\"><h1>").Append(Escape(title)).Append("</h1>");
        if (CommandLine is { } cmd) html.Append("<div class=\"cmd\">$ ").Append(Escape(cmd)).Append("</div>");
        html.Append("<div class=\"totals\"><span class=\"badge info\">").Append(_entries.Count).Append(_entries.Count == 1 ? " scenario" : " scenarios").Append("</span>")
            .Append("<span class=\"badge pass\">").Append(passed).Append(" passed</span>");
        if (failed > 0) html.Append("<span class=\"badge fail\">").Append(failed).Append(" failed</span>");
        if (skipped > 0) html.Append("<span class=\"badge skip\">").Append(skipped).Append(" skipped</span>");
        html.Append("</div></header>\n<main>\n");
        if (PreludeHtml is { } prelude) html.Append(prelude);
        Overview(html);
        bool openAll = _entries.Count <= 6;
        for (int i = 0; i < _entries.Count; i++) Section(html, _entries[i], i, openAll);
        html.Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static bool Failed(Entry e) => e.Seeds is { } s ? s.Any(x => !x.Passed) : !e.Result.Passed && !e.Result.Skipped;

    private static string SectionId(Entry e, int index) => "s" + index.ToString(CultureInfo.InvariantCulture) + "-" + Id(e.Result.Name);

    private void Overview(StringBuilder html)
    {
        html.Append("<table class=\"overview\"><thead><tr><th>verdict</th><th>scenario</th><th class=\"num\">ended at</th><th class=\"num\">frames</th>")
            .Append("<th class=\"num\">retransmits</th><th class=\"num\">seed</th><th>failures</th></tr></thead><tbody>\n");
        for (int i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            var r = e.Result;
            html.Append("<tr><td>").Append(Verdict(e)).Append("</td><td><a href=\"#").Append(SectionId(e, i)).Append("\">").Append(Escape(r.Name)).Append("</a></td>")
                .Append("<td class=\"num\">").Append(Seconds(r.VirtualTime)).Append("</td><td class=\"num\">").Append(r.Frames).Append("</td>")
                .Append("<td class=\"num\">").Append(r.TcpRetransmissions).Append("</td><td class=\"num\">")
                .Append(e.Seeds is { } s ? $"{s[0].Number}..{s[^1].Number}" : r.Seed.ToString(CultureInfo.InvariantCulture)).Append("</td><td class=\"why\">");
            if (e.Seeds is { } seeds && seeds.Any(x => !x.Passed)) html.Append(seeds.Count(x => !x.Passed)).Append(" of ").Append(seeds.Count).Append(" seeds");
            else if (r.FirstFailure is { } firstFailure) html.Append(Escape(FirstLine(firstFailure.Report)));
            else if (r.SkipReason is { } why) html.Append(Escape(why));
            html.Append("</td></tr>\n");
        }
        html.Append("</tbody></table>\n");
    }

    private static string Verdict(Entry e) =>
        e.Result.Skipped ? "<span class=\"badge skip\">SKIP</span>" : Failed(e) ? "<span class=\"badge fail\">FAIL</span>" : "<span class=\"badge pass\">PASS</span>";

    private void Section(StringBuilder html, Entry e, int index, bool openAll)
    {
        var r = e.Result;
        string id = SectionId(e, index);
        bool failed = Failed(e);
        html.Append("<section class=\"scenario").Append(failed ? " failed" : "").Append("\" id=\"").Append(id).Append("\"><details")
            .Append(openAll || failed ? " open" : "").Append("><summary>").Append(Verdict(e)).Append("<h2>").Append(Escape(r.Name)).Append("</h2></summary>\n<div class=\"body\">\n");
        html.Append("<div class=\"meta\"><code>").Append(Escape(r.File)).Append("</code> \u00b7 seed <b>").Append(r.Seed).Append("</b> \u00b7 ")
            .Append(r.Wire == ScenarioWire.Tap ? "tap wire (Linux, real time)" : "virtual wire").Append(" \u00b7 ended at <b>").Append(Seconds(r.VirtualTime))
            .Append("</b> \u00b7 <b>").Append(r.Frames).Append("</b> frames \u00b7 <b>").Append(r.TcpRetransmissions).Append("</b> TCP retransmissions");
        if (r.CapturePath is { } capture) html.Append(" \u00b7 recording <code>").Append(Escape(capture)).Append("</code>");
        html.Append("</div>\n");
        if (e.Scenario?.Description is { } description) html.Append("<div class=\"description\">").Append(Escape(description.Trim())).Append("</div>\n");
        if (e.Note is { } note) html.Append("<p class=\"note\">").Append(Escape(note)).Append("</p>\n");
        if (r.SkipReason is { } skip) html.Append("<p class=\"note\">skipped: ").Append(Escape(skip)).Append("</p>\n");
        if (e.Seeds is { } seeds) Seeds(html, seeds, r, id);

        var frames = r.Recording?.Frames ?? (IReadOnlyList<CapturedFrame>)[];
        var cited = new HashSet<int>();
        if (r.Failures.Count > 0)
        {
            html.Append("<h3>").Append(r.Failures.Count == 1 ? "Failure" : $"{r.Failures.Count} failures").Append("</h3>\n");
            var first = r.Failures.Count > 1 ? r.FirstFailure : null;
            foreach (var f in r.Failures)
            {
                if (ReferenceEquals(f, first))
                    html.Append("<p class=\"note\">the first failure (due earliest in the run):</p>\n");
                html.Append("<pre class=\"failure").Append(ReferenceEquals(f, first) ? " first" : "").Append("\">")
                    .Append(LinkFrames(Escape(f.Report), id, frames.Count, cited)).Append("</pre>\n");
            }
        }
        if (r.NotRun.Count > 0)
        {
            html.Append("<h3>Not run</h3>\n<ul class=\"not-run\">\n");
            foreach (var n in r.NotRun)
                html.Append("<li><code>").Append(Escape(n.Report)).Append("</code>: ").Append(Escape(n.Reason ?? "")).Append("</li>\n");
            html.Append("</ul>\n");
        }
        if (e.Scenario is { Faults.Count: > 0 } withFaults) Faults(html, withFaults, frames);

        if (frames.Count > 0)
        {
            html.Append("<h3>Frames</h3>\n");
            var ladder = new StringBuilder();
            var drawn = LadderDiagram.Render(ladder, e.Scenario, frames, id + "-ladder", cited, MaxLadderFrames);
            if (drawn.Omitted > 0)
                html.Append("<p class=\"note\">").Append(frames.Count - drawn.Omitted).Append(" of ").Append(frames.Count)
                    .Append(" frames drawn (the ladder stops at ").Append(MaxLadderFrames).Append(" rows; frames a failure cites are kept). ")
                    .Append("Every frame is in the recording and in the graphs below.</p>\n");
            html.Append("<div class=\"ladder-wrap\">\n").Append(ladder).Append("</div>\n");
            Connections(html, frames, id);
        }
        else if (!r.Skipped)
            html.Append("<p class=\"note\">no frames were recorded</p>\n");
        html.Append("</div></details></section>\n");
    }

    private static void Faults(StringBuilder html, Scenario scenario, IReadOnlyList<CapturedFrame> frames)
    {
        html.Append("<h4>Faults on the wire</h4><ul class=\"faults\">");
        foreach (var rule in scenario.Faults)
        {
            string tag = $"(fault #{rule.Number})";
            int acted = frames.Sum(f => f.Notes.Count(n => n.EndsWith(tag, StringComparison.Ordinal)));
            html.Append("<li>#").Append(rule.Number).Append(" <code>").Append(Escape(rule.Describe())).Append("</code>");
            if (rule.Nth is { } nth) html.Append(", the ").Append(nth).Append(Ordinal(nth)).Append(" match");
            else if (rule.Count is { } count) html.Append(", the first ").Append(count);
            else if (rule.Probability is { } p) html.Append(", probability ").Append(p.ToString("0.###", CultureInfo.InvariantCulture));
            html.Append(" \u2014 acted on ").Append(acted).Append(acted == 1 ? " frame copy" : " frame copies").Append("</li>");
        }
        html.Append("</ul>\n");
    }

    private static string Ordinal(int n) => (n % 100) is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" };

    private static void Seeds(StringBuilder html, IReadOnlyList<SeedHistogram.Seed> seeds, ScenarioResult drawn, string id)
    {
        int failing = seeds.Count(s => !s.Passed);
        var times = seeds.Select(s => s.Time).Order().ToArray();
        html.Append("<h3>Seeds ").Append(seeds[0].Number).Append("..").Append(seeds[^1].Number).Append("</h3>\n<p class=\"figures\"><b>")
            .Append(seeds.Count - failing).Append("</b> passed, <b>").Append(failing).Append("</b> failed \u00b7 completed: min <b>").Append(Seconds(times[0]))
            .Append("</b>, median <b>").Append(Seconds(times[times.Length / 2])).Append("</b>, max <b>").Append(Seconds(times[^1])).Append("</b></p>\n");
        SeedHistogram.Render(html, seeds, id + "-seeds");
        if (failing > 0)
            html.Append("<p class=\"note\">failing seeds: ").Append(Escape(string.Join(", ", seeds.Where(s => !s.Passed).Take(40).Select(s => s.Number))))
                .Append(failing > 40 ? ", \u2026" : "").Append("</p>\n");
        html.Append("<p class=\"note\">frames below: seed ").Append(drawn.Seed).Append(drawn.Passed ? "" : " (the first failing seed)").Append("</p>\n");
    }

    private static void Connections(StringBuilder html, IReadOnlyList<CapturedFrame> frames, string id)
    {
        var connections = TcpConnection.FindAll(frames);
        if (connections.Count == 0) return;
        html.Append("<h3>TCP connections (").Append(connections.Count).Append(")</h3>\n");
        for (int c = 0; c < connections.Count; c++)
        {
            var conn = connections[c];
            html.Append("<h4>").Append(c + 1).Append(". ").Append(Escape(conn.ClientHost)).Append(' ').Append(TcpConnection.Endpoint(conn.Client))
                .Append(" \u21c4 ").Append(Escape(conn.ServerHost)).Append(' ').Append(TcpConnection.Endpoint(conn.Server)).Append(" \u2014 ")
                .Append(conn.FromClient.Count + conn.FromServer.Count).Append(" segments, frames #").Append(conn.All.First().Frame.Number)
                .Append("\u2013#").Append(conn.All.Last().Frame.Number).Append("</h4>\n<div class=\"graphs\">\n");
            bool clientData = conn.FromClient.Any(s => s.View.PayloadLength > 0), serverData = conn.FromServer.Any(s => s.View.PayloadLength > 0);
            foreach (bool fromClient in new[] { true, false })
            {
                if (fromClient ? !clientData && serverData : !serverData) continue;
                var graph = new StringBuilder();
                var figures = TimeSequenceGraph.Render(graph, conn, fromClient, $"{id}-tcp{c + 1}-{(fromClient ? "c" : "s")}");
                html.Append("<figure class=\"tsg-figure\"><figcaption><b>").Append(Escape(conn.Describe(fromClient))).Append("</b><br>")
                    .Append(figures.Bytes).Append(" bytes in ").Append(figures.DataSegments).Append(" data segments \u00b7 ")
                    .Append(figures.Retransmissions).Append(" retransmitted \u00b7 ").Append(figures.Lost).Append(" lost on the wire \u00b7 ")
                    .Append(figures.DuplicateAcks).Append(" duplicate ACKs \u00b7 ").Append(figures.SackBlocks).Append(" SACK blocks")
                    .Append(figures.WindowProbes > 0 ? $" \u00b7 {figures.WindowProbes} zero-window probes" : "").Append("</figcaption>\n")
                    .Append(graph)
                    .Append("<div class=\"legend\"><span><i class=\"seg\"></i>segment sent</span><span><i class=\"rtx\"></i><i class=\"rtxmark\"></i>retransmission</span>")
                    .Append("<span><i class=\"drop\"></i>\u2715 lost on the wire</span><span><i class=\"ack\"></i>cumulative ACK</span><span><i class=\"dupack\"></i>duplicate ACK</span><span><i class=\"win\"></i>ACK + receive window</span>")
                    .Append("<span><i class=\"sack\"></i>SACK block</span>")
                    .Append(figures.WindowProbes > 0 ? "<span><i class=\"probe\"></i>zero-window probe</span>" : "").Append("</div></figure>\n");
            }
            html.Append("</div>\n");
        }
    }

    [GeneratedRegex(@"(?<=^|\s|\*\s)#(\d+)\b|\bframe (\d+)\b", RegexOptions.Multiline)]
    private static partial Regex FrameReference();

    /// <summary>Turns "#12" and "frame 12" in a failure report into links to the ladder row, and notes the cited frames.</summary>
    private static string LinkFrames(string escaped, string id, int frameCount, HashSet<int> cited) =>
        FrameReference().Replace(escaped, m =>
        {
            var g = m.Groups[1].Success ? m.Groups[1] : m.Groups[2];
            if (!int.TryParse(g.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > frameCount) return m.Value;
            cited.Add(n);
            return $"<a href=\"#{id}-ladder-f{n}\">{m.Value}</a>";
        });

    private static string FirstLine(string text)
    {
        int nl = text.IndexOf('\n');
        return (nl < 0 ? text : text[..nl]).TrimEnd('\r');
    }

    /// <summary>Virtual time in seconds, to the microsecond.</summary>
    public static string Seconds(Duration time) => time.TotalSeconds.ToString("0.000000", CultureInfo.InvariantCulture) + " s";
}
