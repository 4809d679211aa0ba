using System.Text;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Steps;
using Netstack.Harness.Trace;

namespace Netstack.Harness.Running;

/// <summary>Writes the failure report of a frame expectation: what was expected, when, the nearest frames
/// actually seen as one-line dissections with their virtual times, and where to look in the recording.</summary>
internal static class FrameReport
{
    private const int MaxMatching = 3;
    private const int MaxShown = 6;

    public static string Build(FrameExpectation e, TimeWindow window, string problem, FrameLog log, FrameMatcher matcher,
        string? capturePath, IReadOnlyCollection<int> offending, int consumedThrough)
    {
        var sb = new StringBuilder();
        sb.Append($"{e.Location}: expected {e.Describe()} {window.Describe()}; {problem}");
        var frames = log.Frames;
        if (frames.Count == 0)
        {
            sb.AppendLine().Append("  no frames were recorded");
            return sb.ToString();
        }
        var matching = window.Nearest(frames.Where(f => matcher.MatchesFilter(e, f))).Take(MaxMatching);
        var shown = new SortedSet<int>(offending.Take(MaxShown));
        foreach (var f in matching)
            if (shown.Count < MaxShown) shown.Add(f.Number);
        foreach (var f in window.Nearest(frames))
        {
            if (shown.Count >= MaxShown) break;
            shown.Add(f.Number);
        }
        sb.AppendLine().Append(offending.Count > 0 ? "  frames seen (* = counted):" : "  nearest frames seen:");
        foreach (var n in shown)
        {
            var f = frames[n - 1];
            sb.AppendLine().Append(offending.Contains(n) ? "  * " : "    ").Append(FrameDissector.Line(f));
            if (!offending.Contains(n) && matcher.MatchesFilter(e, f))
                sb.Append("   <- matches the filter, but ").Append(WhyNot(e, f, window, matcher, consumedThrough));
        }
        int pointer = offending.Count > 0
            ? offending.Min()
            : window.Nearest(frames.Where(f => matcher.MatchesFilter(e, f))).Select(f => f.Number).FirstOrDefault(shown.Min);
        sb.AppendLine().Append(capturePath is null
            ? $"  (frame {pointer} of the in-memory recording)"
            : $"  recording: {capturePath}, frame {pointer}");
        return sb.ToString();
    }

    private static string WhyNot(FrameExpectation e, CapturedFrame f, TimeWindow window, FrameMatcher matcher, int consumedThrough)
    {
        if (matcher.Mismatch(e, f) is { } reason) return reason;
        if (!window.Contains(f.Time)) return $"at {TimeSyntax.FormatTime(f.Time)}, outside the window";
        if (f.Number <= consumedThrough) return "an earlier step already matched it";
        return "it was not counted";
    }
}
