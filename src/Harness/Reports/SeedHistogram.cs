using System.Globalization;
using System.Text;
using static Netstack.Harness.Reports.HtmlText;
using Netstack.Time;

namespace Netstack.Harness.Reports;

/// <summary>The completion times of a seed sweep as a histogram: how many seeds finished in each slice of
/// virtual time, passing seeds green and failing ones red on top, each bar naming its seeds on hover.</summary>
public static class SeedHistogram
{
    private const double Width = 960, Height = 260, Left = 56, Right = 16, Top = 14, Bottom = 40;

    public sealed record Seed(ulong Number, Duration Time, bool Passed, long Retransmissions);

    /// <summary>Renders the histogram; returns the number of bars (bins with at least one seed).</summary>
    public static int Render(StringBuilder html, IReadOnlyList<Seed> seeds, string id)
    {
        if (seeds.Count == 0) return 0;
        // The bins are laid out in nanoseconds (as doubles); the axis shows milliseconds.
        long min = seeds.Min(s => s.Time).Nanoseconds, max = seeds.Max(s => s.Time).Nanoseconds;
        int binCount = max == min ? 1 : Math.Clamp((int)Math.Ceiling(Math.Sqrt(seeds.Count)) * 2, 5, 40);
        double binWidth = max == min ? Math.Max(1, max / 100.0) : (max - min) / (double)binCount;
        var bins = new List<Seed>[binCount];
        for (int i = 0; i < binCount; i++) bins[i] = new();
        foreach (var s in seeds)
            bins[Math.Min(binCount - 1, (int)((s.Time.Nanoseconds - min) / binWidth))].Add(s);
        double lo = min - (max == min ? binWidth / 2 : 0);
        var x = new PlotAxis(lo / (double)Duration.NanosecondsPerMillisecond, (lo + binWidth * binCount) / (double)Duration.NanosecondsPerMillisecond, Left, Width - Right);
        int tallest = bins.Max(b => b.Count);
        var y = new PlotAxis(0, tallest * 1.08, Height - Bottom, Top);

        html.Append("<svg class=\"histogram\" id=\"").Append(id).Append("\" viewBox=\"0 0 ").Append(Num(Width)).Append(' ').Append(Num(Height))
            .Append("\" role=\"img\" aria-label=\"completion time per seed\">\n<g class=\"axes\">");
        html.Append("<rect class=\"frame\" x=\"").Append(Num(Left)).Append("\" y=\"").Append(Num(Top)).Append("\" width=\"").Append(Num(Width - Left - Right))
            .Append("\" height=\"").Append(Num(Height - Top - Bottom)).Append("\"/>\n");
        double xStep = PlotAxis.NiceStep((x.Max - x.Min) / 10);
        foreach (var t in x.Ticks(10))
            html.Append("<line class=\"grid\" x1=\"").Append(Num(x[t])).Append("\" x2=\"").Append(Num(x[t])).Append("\" y1=\"").Append(Num(Top)).Append("\" y2=\"").Append(Num(Height - Bottom))
                .Append("\"/><text class=\"tick\" x=\"").Append(Num(x[t])).Append("\" y=\"").Append(Num(Height - Bottom + 14)).Append("\" text-anchor=\"middle\">")
                .Append(PlotAxis.Milliseconds(t, xStep)).Append("</text>\n");
        double yStep = Math.Max(1, PlotAxis.NiceStep(tallest / 5.0));
        for (double v = 0; v <= tallest * 1.08; v += yStep)
            html.Append("<line class=\"grid\" x1=\"").Append(Num(Left)).Append("\" x2=\"").Append(Num(Width - Right)).Append("\" y1=\"").Append(Num(y[v])).Append("\" y2=\"").Append(Num(y[v]))
                .Append("\"/><text class=\"tick\" x=\"").Append(Num(Left - 5)).Append("\" y=\"").Append(Num(y[v] + 3.5)).Append("\" text-anchor=\"end\">")
                .Append(v.ToString("0", CultureInfo.InvariantCulture)).Append("</text>\n");
        html.Append("<text class=\"label\" x=\"").Append(Num((Left + Width - Right) / 2)).Append("\" y=\"").Append(Num(Height - 6))
            .Append("\" text-anchor=\"middle\">virtual completion time (ms)</text><text class=\"label\" transform=\"translate(14 ")
            .Append(Num((Top + Height - Bottom) / 2)).Append(") rotate(-90)\" text-anchor=\"middle\">seeds</text></g>\n");
        int bars = 0;
        for (int i = 0; i < binCount; i++)
        {
            var bin = bins[i];
            if (bin.Count == 0) continue;
            bars++;
            double from = lo + i * binWidth, to = from + binWidth;
            double bx = x[from / (double)Duration.NanosecondsPerMillisecond] + 1, bw = Math.Max(1, x[to / (double)Duration.NanosecondsPerMillisecond] - x[from / (double)Duration.NanosecondsPerMillisecond] - 2);
            int passed = bin.Count(s => s.Passed), failed = bin.Count - passed;
            html.Append("<g class=\"bin\"><title>").Append(bin.Count).Append(bin.Count == 1 ? " seed" : " seeds").Append(" completed in ")
                .Append(Ms(from)).Append("\u2013").Append(Ms(to)).Append(": ").Append(passed).Append(" passed, ").Append(failed).Append(" failed; seeds ")
                .Append(Escape(string.Join(", ", bin.Take(30).Select(s => s.Number.ToString(CultureInfo.InvariantCulture) + (s.Passed ? "" : " (FAIL)")))))
                .Append(bin.Count > 30 ? ", \u2026" : "").Append("</title>");
            if (passed > 0)
                html.Append("<rect class=\"bar pass\" x=\"").Append(Num(bx)).Append("\" width=\"").Append(Num(bw)).Append("\" y=\"").Append(Num(y[passed]))
                    .Append("\" height=\"").Append(Num(y[0] - y[passed])).Append("\"/>");
            if (failed > 0)
                html.Append("<rect class=\"bar fail\" x=\"").Append(Num(bx)).Append("\" width=\"").Append(Num(bw)).Append("\" y=\"").Append(Num(y[bin.Count]))
                    .Append("\" height=\"").Append(Num(y[passed] - y[bin.Count])).Append("\"/>");
            html.Append("</g>\n");
        }
        html.Append("</svg>\n");
        return bars;
    }

    private static string Ms(double ns) => (ns / (double)Duration.NanosecondsPerMillisecond).ToString("0.###", CultureInfo.InvariantCulture) + " ms";
}
