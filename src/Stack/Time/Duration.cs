using System.Globalization;

namespace Netstack.Time;

/// <summary>A length of time in nanoseconds: the one unit of time in the stack, the drivers and the harness.
/// <see cref="TimeSpan"/> counts 100 ns ticks and would truncate what a virtual clock and a pcap's nanosecond
/// timestamps keep, so it appears only where the BCL asks for it (<see cref="ToTimeSpan"/>,
/// <see cref="FromTimeSpan"/>).</summary>
/// <param name="Nanoseconds">The length in nanoseconds; negative for a time earlier than a reference.</param>
public readonly record struct Duration(long Nanoseconds) : IComparable<Duration>
{
    /// <summary>Nanoseconds in one microsecond.</summary>
    public const long NanosecondsPerMicrosecond = 1_000;
    /// <summary>Nanoseconds in one millisecond.</summary>
    public const long NanosecondsPerMillisecond = 1_000_000;
    /// <summary>Nanoseconds in one second.</summary>
    public const long NanosecondsPerSecond = 1_000_000_000;
    /// <summary>Nanoseconds in one <see cref="TimeSpan"/> tick.</summary>
    public const long NanosecondsPerTick = 100;

    /// <summary>No time at all.</summary>
    public static readonly Duration Zero = new(0);
    /// <summary>The longest representable duration: "forever", e.g. for a limit that is not set.</summary>
    public static readonly Duration MaxValue = new(long.MaxValue);

    /// <summary>A duration of <paramref name="ns"/> nanoseconds.</summary>
    public static Duration FromNanoseconds(long ns) => new(ns);
    /// <summary>A duration of <paramref name="us"/> microseconds.</summary>
    public static Duration FromMicroseconds(long us) => new(checked(us * NanosecondsPerMicrosecond));
    /// <summary>A duration of <paramref name="ms"/> milliseconds.</summary>
    public static Duration FromMilliseconds(long ms) => new(checked(ms * NanosecondsPerMillisecond));
    /// <summary>A duration of <paramref name="ms"/> milliseconds, rounded to the nearest nanosecond.</summary>
    public static Duration FromMilliseconds(double ms) => FromScaled(ms, NanosecondsPerMillisecond);
    /// <summary>A duration of <paramref name="s"/> seconds.</summary>
    public static Duration FromSeconds(long s) => new(checked(s * NanosecondsPerSecond));
    /// <summary>A duration of <paramref name="s"/> seconds, rounded to the nearest nanosecond.</summary>
    public static Duration FromSeconds(double s) => FromScaled(s, NanosecondsPerSecond);
    /// <summary>A duration of <paramref name="minutes"/> minutes.</summary>
    public static Duration FromMinutes(long minutes) => FromSeconds(checked(minutes * 60));
    /// <summary>A duration of <paramref name="hours"/> hours.</summary>
    public static Duration FromHours(long hours) => FromMinutes(checked(hours * 60));
    /// <summary>The same length as <paramref name="span"/> (exact: a tick is 100 ns).</summary>
    public static Duration FromTimeSpan(TimeSpan span) => new(checked(span.Ticks * NanosecondsPerTick));

    private static Duration FromScaled(double value, long nanosecondsPerUnit)
    {
        double ns = Math.Round(value * nanosecondsPerUnit);
        if (double.IsNaN(ns) || ns >= long.MaxValue || ns <= long.MinValue)
            throw new OverflowException($"{value.ToString(CultureInfo.InvariantCulture)} does not fit a Duration in nanoseconds");
        return new((long)ns);
    }

    /// <summary>The length in microseconds (fractional).</summary>
    public double TotalMicroseconds => Nanoseconds / (double)NanosecondsPerMicrosecond;
    /// <summary>The length in milliseconds (fractional).</summary>
    public double TotalMilliseconds => Nanoseconds / (double)NanosecondsPerMillisecond;
    /// <summary>The length in seconds (fractional).</summary>
    public double TotalSeconds => Nanoseconds / (double)NanosecondsPerSecond;
    /// <summary>Whole milliseconds, truncated toward zero.</summary>
    public long WholeMilliseconds => Nanoseconds / NanosecondsPerMillisecond;
    /// <summary>Whole seconds, truncated toward zero.</summary>
    public long WholeSeconds => Nanoseconds / NanosecondsPerSecond;
    /// <summary>True for a negative length.</summary>
    public bool IsNegative => Nanoseconds < 0;

    /// <summary>The nearest <see cref="TimeSpan"/> (truncated to its 100 ns tick), for BCL calls only.</summary>
    public TimeSpan ToTimeSpan() => TimeSpan.FromTicks(Nanoseconds / NanosecondsPerTick);

    /// <summary>The sum of two durations.</summary>
    public static Duration operator +(Duration a, Duration b) => new(checked(a.Nanoseconds + b.Nanoseconds));
    /// <summary>The difference of two durations.</summary>
    public static Duration operator -(Duration a, Duration b) => new(checked(a.Nanoseconds - b.Nanoseconds));
    /// <summary>The negated duration.</summary>
    public static Duration operator -(Duration a) => new(-a.Nanoseconds);
    /// <summary><paramref name="a"/> scaled by a whole factor.</summary>
    public static Duration operator *(Duration a, long factor) => new(checked(a.Nanoseconds * factor));
    /// <summary><paramref name="a"/> scaled by a whole factor.</summary>
    public static Duration operator *(long factor, Duration a) => a * factor;
    /// <summary><paramref name="a"/> scaled by <paramref name="factor"/>, rounded to the nearest nanosecond.</summary>
    public static Duration operator *(Duration a, double factor) => FromScaled(a.Nanoseconds * factor, 1);
    /// <summary><paramref name="a"/> divided by a whole divisor, truncated toward zero.</summary>
    public static Duration operator /(Duration a, long divisor) => new(a.Nanoseconds / divisor);
    /// <summary>How many times <paramref name="b"/> fits into <paramref name="a"/>.</summary>
    public static double operator /(Duration a, Duration b) => a.Nanoseconds / (double)b.Nanoseconds;
    /// <summary>True when <paramref name="a"/> is shorter than <paramref name="b"/>.</summary>
    public static bool operator <(Duration a, Duration b) => a.Nanoseconds < b.Nanoseconds;
    /// <summary>True when <paramref name="a"/> is longer than <paramref name="b"/>.</summary>
    public static bool operator >(Duration a, Duration b) => a.Nanoseconds > b.Nanoseconds;
    /// <summary>True when <paramref name="a"/> is not longer than <paramref name="b"/>.</summary>
    public static bool operator <=(Duration a, Duration b) => a.Nanoseconds <= b.Nanoseconds;
    /// <summary>True when <paramref name="a"/> is not shorter than <paramref name="b"/>.</summary>
    public static bool operator >=(Duration a, Duration b) => a.Nanoseconds >= b.Nanoseconds;

    /// <summary>The shorter of two durations.</summary>
    public static Duration Min(Duration a, Duration b) => a <= b ? a : b;
    /// <summary>The longer of two durations.</summary>
    public static Duration Max(Duration a, Duration b) => a >= b ? a : b;
    /// <summary>The length without its sign.</summary>
    public Duration Abs() => new(Math.Abs(Nanoseconds));

    /// <summary>Orders durations by length.</summary>
    public int CompareTo(Duration other) => Nanoseconds.CompareTo(other.Nanoseconds);

    /// <summary>Seconds with millisecond precision and up to nanoseconds when they matter: "1.250s", "0.000001s".</summary>
    public override string ToString() =>
        (Nanoseconds / (double)NanosecondsPerSecond).ToString("0.000######", CultureInfo.InvariantCulture) + "s";
}
