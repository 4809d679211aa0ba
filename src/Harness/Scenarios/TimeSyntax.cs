using System.Globalization;
using System.Text.RegularExpressions;
using Netstack.Time;

namespace Netstack.Harness.Scenarios;

/// <summary>Durations and bit rates as scenarios write them: <c>250ms</c>, <c>1.5s</c>, <c>100Mbit</c>.</summary>
public static partial class TimeSyntax
{
    /// <summary>The longest duration a scenario may write (11.6 days): far beyond any test, and small enough that
    /// sums of many relative times stay far from overflowing 64-bit nanoseconds.</summary>
    public static readonly Duration MaxDuration = Duration.FromSeconds(1_000_000);

    /// <summary>The highest bit rate a scenario may write: 1 Tbit/s.</summary>
    public const long MaxBitsPerSecond = 1_000_000_000_000;

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>ns|us|µs|ms|s|m|min)$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>bps|bit|kbps|kbit|Mbps|Mbit|Gbps|Gbit)$")]
    private static partial Regex RatePattern();

    /// <summary>Parses a non-negative duration, exact to the nanosecond. A bare 0 needs no unit.</summary>
    public static bool TryParseDuration(string text, out Duration duration)
    {
        duration = Duration.Zero;
        text = text.Trim();
        if (text == "0") return true;
        var m = DurationPattern().Match(text);
        // Numbers too long for a decimal (29 digits and more) are no duration either: false, never an exception.
        if (!m.Success || !decimal.TryParse(m.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture,
                out var n)) return false;
        decimal scale = m.Groups["u"].Value switch
        {
            "ns" => 1m,
            "us" or "µs" => Duration.NanosecondsPerMicrosecond,
            "ms" => Duration.NanosecondsPerMillisecond,
            "s" => Duration.NanosecondsPerSecond,
            _ => 60 * Duration.NanosecondsPerSecond,
        };
        // The number is a decimal as written: compared in nanoseconds before it becomes a Duration.
        if (n > MaxDuration.Nanoseconds / scale) return false;
        var ns = n * scale;
        if (ns != decimal.Truncate(ns)) return false;
        duration = Duration.FromNanoseconds((long)ns);
        return true;
    }

    /// <summary>Whether <paramref name="text"/> is written like a duration but is over the limit (or too long a
    /// number), so the error can say "too large" rather than "bad syntax".</summary>
    public static bool IsTooLongDuration(string text) =>
        DurationPattern().IsMatch(text.Trim().TrimStart('+')) && !TryParseDuration(text.Trim().TrimStart('+'), out _);

    public static bool TryParseRate(string text, out long bitsPerSecond)
    {
        bitsPerSecond = 0;
        var m = RatePattern().Match(text.Trim());
        if (!m.Success || !decimal.TryParse(m.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture,
                out var n)) return false;
        decimal scale = m.Groups["u"].Value switch
        {
            "bps" or "bit" => 1m,
            "kbps" or "kbit" => 1e3m,
            "Mbps" or "Mbit" => 1e6m,
            _ => 1e9m,
        };
        if (n > MaxBitsPerSecond / scale) return false;
        bitsPerSecond = (long)(n * scale);
        return bitsPerSecond > 0;
    }

    /// <summary>A duration as a trace prints it: seconds with as many decimals as needed, at least three.</summary>
    public static string FormatTime(Duration duration) => FormatNanoseconds(duration.Nanoseconds);

    /// <summary>An instant as a trace prints it: its time since the scenario started.</summary>
    public static string FormatTime(Instant instant) => FormatNanoseconds(instant.Nanoseconds);

    private static string FormatNanoseconds(long nanoseconds) =>
        (nanoseconds / (decimal)Duration.NanosecondsPerSecond).ToString("0.000######", CultureInfo.InvariantCulture) + "s";
}
