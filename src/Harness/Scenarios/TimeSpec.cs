using Netstack.Time;

namespace Netstack.Harness.Scenarios;

/// <summary>One end of a step's time: absolute (<c>1s</c>, since the scenario started) or relative to the
/// previous step (<c>+1s</c>).</summary>
public readonly record struct TimePoint(Duration Offset, bool Relative)
{
    /// <summary>Stays clear of the open end (<see cref="Instant.MaxValue"/>) rather than wraps or saturates to it: each
    /// offset is at most <see cref="TimeSyntax.MaxDuration"/>, but a long file of relative steps could still add up past 2^63.</summary>
    public Instant Resolve(Instant cursor) => Relative ? new Instant(Math.Min(cursor.Nanoseconds, long.MaxValue / 2)) + Offset : Instant.Zero + Offset;

    public override string ToString() => (Relative ? "+" : "") + TimeSyntax.FormatTime(Offset);
}

/// <summary>A step's <c>at:</c>: a point (<c>1s</c>, <c>+1s</c>) or a window (<c>1s..1.2s</c>, <c>+0..+5ms</c>,
/// <c>..2s</c> from the previous step, <c>1s..</c> until the run ends).</summary>
public sealed record TimeSpec(TimePoint? Start, TimePoint? End, bool IsRange)
{
    public bool IsPoint => !IsRange;

    public static bool TryParse(string text, out TimeSpec spec)
    {
        spec = null!;
        text = text.Trim();
        int dots = text.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0)
        {
            if (!TryParsePoint(text, out var p)) return false;
            spec = new TimeSpec(p, p, false);
            return true;
        }
        var left = text[..dots].Trim();
        var right = text[(dots + 2)..].Trim();
        TimePoint? start = null, end = null;
        if (left.Length > 0)
        {
            if (!TryParsePoint(left, out var s)) return false;
            start = s;
        }
        if (right.Length > 0)
        {
            if (!TryParsePoint(right, out var e)) return false;
            end = e;
        }
        if (start is null && end is null) return false;
        if (start is { Relative: false } a && end is { Relative: false } b && b.Offset < a.Offset) return false;
        spec = new TimeSpec(start, end, true);
        return true;
    }

    private static bool TryParsePoint(string text, out TimePoint point)
    {
        bool relative = text.StartsWith('+');
        point = default;
        if (!TimeSyntax.TryParseDuration(relative ? text[1..] : text, out var offset)) return false;
        point = new TimePoint(offset, relative);
        return true;
    }

    public override string ToString() => IsPoint ? Start!.Value.ToString() : $"{Start}..{End}";
}
