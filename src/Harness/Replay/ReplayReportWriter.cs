using System.Net;
using System.Text;

namespace Netstack.Harness.Replay;

/// <summary>`--report FILE.md|FILE.html`: the replay's per-flow verdict table, then every line of the
/// console report. The HTML is one self-contained file (inline style, no scripts, nothing fetched).</summary>
public static class ReplayReportWriter
{
    public sealed record FlowVerdict(string Flow, int Exchanges, int Equivalent, string Verdict, string FirstDifference);

    public static List<FlowVerdict> Flows(ReplayReport report) =>
        report.Exchanges.GroupBy(e => e.Flow).Select(g =>
        {
            var different = g.FirstOrDefault(e => !e.Equivalent);
            return new FlowVerdict(g.Key == "" ? "(unnamed)" : g.Key, g.Count(), g.Count(e => e.Equivalent),
                different is null ? "EQUIVALENT" : "DIFFERENT", different?.ToString().Trim() ?? "");
        }).ToList();

    public static void Write(string path, string title, ReplayReport report)
    {
        string text;
        if (path.EndsWith(".md", StringComparison.OrdinalIgnoreCase)) text = Markdown(title, report);
        else if (path.EndsWith(".html", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".htm", StringComparison.OrdinalIgnoreCase)) text = Html(title, report);
        else throw new ReplayInputException($"--report: '{path}' must end in .md or .html");
        try
        {
            File.WriteAllText(path, text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReplayInputException($"--report: cannot write {path}: {e.Message}");
        }
    }

    private static string Verdict(ReplayReport r) =>
        r.Equivalent ? $"EQUIVALENT ({r.EquivalentCount} exchanges)" : $"DIFFERENT ({r.DifferentCount} differences, {r.EquivalentCount} equivalent)";

    public static string Markdown(string title, ReplayReport report)
    {
        static string Cell(string s) => s.Replace("|", "\\|");
        var b = new StringBuilder();
        b.Append("# ").Append(title).Append("\n\n**").Append(Verdict(report)).Append("**\n\n");
        foreach (var h in report.Headlines) b.Append("- **DIFFERENT:** ").Append(h).Append('\n');
        if (report.Headlines.Count > 0) b.Append('\n');
        b.Append("| flow | exchanges | equivalent | verdict | first difference |\n|---|---|---|---|---|\n");
        foreach (var f in Flows(report))
            b.Append($"| {Cell(f.Flow)} | {f.Exchanges} | {f.Equivalent} | {f.Verdict} | {Cell(f.FirstDifference)} |\n");
        b.Append("\n## Report\n\n```\n");
        foreach (var l in report.Lines()) b.Append(l).Append('\n');
        b.Append("```\n");
        return b.ToString();
    }

    public static bool IsHtml(string path) =>
        path.EndsWith(".html", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".htm", StringComparison.OrdinalIgnoreCase);

    /// <summary>The verdict, headlines and per-flow table as an HTML fragment (for the full report page).</summary>
    public static string HtmlTable(ReplayReport report)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var b = new StringBuilder();
        b.Append("<section class=\"replay-verdicts\"><style>.replay-verdicts table{border-collapse:collapse}")
            .Append(".replay-verdicts td,.replay-verdicts th{border:1px solid #999;padding:.3em .6em;text-align:left}")
            .Append(".replay-verdicts .EQUIVALENT{background:#dfd}.replay-verdicts .DIFFERENT{background:#fdd}</style>\n<p class=\"")
            .Append(report.Equivalent ? "EQUIVALENT" : "DIFFERENT").Append("\"><strong>").Append(E(Verdict(report))).Append("</strong></p>\n");
        foreach (var h in report.Headlines) b.Append("<p class=\"DIFFERENT\">").Append(E(h)).Append("</p>\n");
        b.Append("<table><tr><th>flow</th><th>exchanges</th><th>equivalent</th><th>verdict</th><th>first difference</th></tr>\n");
        foreach (var f in Flows(report))
            b.Append($"<tr class=\"{f.Verdict}\"><td>{E(f.Flow)}</td><td>{f.Exchanges}</td><td>{f.Equivalent}</td><td>{f.Verdict}</td><td>{E(f.FirstDifference)}</td></tr>\n");
        b.Append("</table></section>\n");
        return b.ToString();
    }

    public static string Html(string title, ReplayReport report)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var b = new StringBuilder();
        b.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title>\n<style>")
            .Append("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em;text-align:left}")
            .Append(".EQUIVALENT{background:#dfd}.DIFFERENT{background:#fdd}pre{background:#f4f4f4;padding:1em;overflow-x:auto}")
            .Append("</style></head><body>\n<h1>").Append(E(title)).Append("</h1>\n<p class=\"").Append(report.Equivalent ? "EQUIVALENT" : "DIFFERENT")
            .Append("\"><strong>").Append(E(Verdict(report))).Append("</strong></p>\n");
        foreach (var h in report.Headlines) b.Append("<p class=\"DIFFERENT\">").Append(E(h)).Append("</p>\n");
        b.Append("<table><tr><th>flow</th><th>exchanges</th><th>equivalent</th><th>verdict</th><th>first difference</th></tr>\n");
        foreach (var f in Flows(report))
            b.Append($"<tr class=\"{f.Verdict}\"><td>{E(f.Flow)}</td><td>{f.Exchanges}</td><td>{f.Equivalent}</td><td>{f.Verdict}</td><td>{E(f.FirstDifference)}</td></tr>\n");
        b.Append("</table>\n<h2>Report</h2>\n<pre>");
        foreach (var l in report.Lines()) b.Append(E(l)).Append('\n');
        b.Append("</pre>\n</body></html>\n");
        return b.ToString();
    }
}
