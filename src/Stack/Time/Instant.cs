namespace Netstack.Time;

/// <summary>A point in time, in nanoseconds since the driver's epoch. The stack never asks what "now" is
/// on its own; it is told by its <see cref="IScheduler"/>.</summary>
/// <param name="Nanoseconds">Nanoseconds since the driver's epoch.</param>
public readonly record struct Instant(long Nanoseconds) : IComparable<Instant>
{
    /// <summary>The driver's epoch: where a simulation's virtual clock starts.</summary>
    public static readonly Instant Zero = new(0);
    /// <summary>The latest representable instant: "never", e.g. for a deadline that is not set.</summary>
    public static readonly Instant MaxValue = new(long.MaxValue);

    /// <summary>The instant <paramref name="ms"/> milliseconds after the epoch, rounded to the nearest
    /// nanosecond.</summary>
    public static Instant FromMilliseconds(double ms) => new(Duration.FromMilliseconds(ms).Nanoseconds);
    /// <summary>The instant <paramref name="s"/> seconds after the epoch, rounded to the nearest nanosecond.</summary>
    public static Instant FromSeconds(double s) => new(Duration.FromSeconds(s).Nanoseconds);

    /// <summary>Milliseconds since the epoch.</summary>
    public double TotalMilliseconds => Nanoseconds / (double)Duration.NanosecondsPerMillisecond;
    /// <summary>Seconds since the epoch.</summary>
    public double TotalSeconds => Nanoseconds / (double)Duration.NanosecondsPerSecond;

    /// <summary>The instant <paramref name="d"/> after <paramref name="a"/>, saturating at <see cref="MaxValue"/>
    /// (so "now + forever" is "never", not an overflow).</summary>
    public static Instant operator +(Instant a, Duration d) => new(SaturatingAdd(a.Nanoseconds, d.Nanoseconds));
    /// <summary>The instant <paramref name="d"/> before <paramref name="a"/>, saturating like <c>+</c>.</summary>
    public static Instant operator -(Instant a, Duration d) =>
        new(d.Nanoseconds == long.MinValue ? long.MaxValue : SaturatingAdd(a.Nanoseconds, -d.Nanoseconds));

    private static long SaturatingAdd(long a, long b)
    {
        long sum = unchecked(a + b);
        // Overflow only when both operands share a sign that the sum lost.
        if (((a ^ sum) & (b ^ sum)) < 0) return a < 0 ? long.MinValue : long.MaxValue;
        return sum;
    }
    /// <summary>The exact time from <paramref name="earlier"/> to this instant; negative when this one is earlier.</summary>
    public Duration Since(Instant earlier) => new(Nanoseconds - earlier.Nanoseconds);

    /// <summary>The earlier of <paramref name="a"/> and <paramref name="b"/>.</summary>
    public static Instant Min(Instant a, Instant b) => a <= b ? a : b;
    /// <summary>The later of <paramref name="a"/> and <paramref name="b"/>.</summary>
    public static Instant Max(Instant a, Instant b) => a >= b ? a : b;

    /// <summary>The exact time from <paramref name="b"/> to <paramref name="a"/>; negative when <paramref name="a"/>
    /// is earlier. The same as <c>a.Since(b)</c>.</summary>
    public static Duration operator -(Instant a, Instant b) => a.Since(b);
    /// <summary>True when <paramref name="a"/> is earlier than <paramref name="b"/>.</summary>
    public static bool operator <(Instant a, Instant b) => a.Nanoseconds < b.Nanoseconds;
    /// <summary>True when <paramref name="a"/> is later than <paramref name="b"/>.</summary>
    public static bool operator >(Instant a, Instant b) => a.Nanoseconds > b.Nanoseconds;
    /// <summary>True when <paramref name="a"/> is not later than <paramref name="b"/>.</summary>
    public static bool operator <=(Instant a, Instant b) => a.Nanoseconds <= b.Nanoseconds;
    /// <summary>True when <paramref name="a"/> is not earlier than <paramref name="b"/>.</summary>
    public static bool operator >=(Instant a, Instant b) => a.Nanoseconds >= b.Nanoseconds;

    /// <summary>Orders instants chronologically.</summary>
    public int CompareTo(Instant other) => Nanoseconds.CompareTo(other.Nanoseconds);

    /// <summary>Seconds with millisecond precision, as traces print it: "1.250s".</summary>
    public override string ToString() => FormattableString.Invariant($"{Nanoseconds / (double)Duration.NanosecondsPerSecond:0.000###}s");
}
