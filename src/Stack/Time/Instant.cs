namespace Netstack.Time;

/// <summary>A point in time, in nanoseconds since the driver's epoch. The stack never asks what "now" is
/// on its own; it is told by its <see cref="IScheduler"/>.</summary>
public readonly record struct Instant(long Nanoseconds) : IComparable<Instant>
{
    public static readonly Instant Zero = new(0);
    public static readonly Instant MaxValue = new(long.MaxValue);

    public static Instant FromMilliseconds(double ms) => new((long)Math.Round(ms * 1_000_000));
    public static Instant FromSeconds(double s) => new((long)Math.Round(s * 1_000_000_000));

    public double TotalMilliseconds => Nanoseconds / 1e6;
    public double TotalSeconds => Nanoseconds / 1e9;

    public static Instant operator +(Instant a, TimeSpan d) => new(a.Nanoseconds + d.Ticks * 100);
    public static Instant operator -(Instant a, TimeSpan d) => new(a.Nanoseconds - d.Ticks * 100);
    public static TimeSpan operator -(Instant a, Instant b) => TimeSpan.FromTicks((a.Nanoseconds - b.Nanoseconds) / 100);
    public static bool operator <(Instant a, Instant b) => a.Nanoseconds < b.Nanoseconds;
    public static bool operator >(Instant a, Instant b) => a.Nanoseconds > b.Nanoseconds;
    public static bool operator <=(Instant a, Instant b) => a.Nanoseconds <= b.Nanoseconds;
    public static bool operator >=(Instant a, Instant b) => a.Nanoseconds >= b.Nanoseconds;

    public int CompareTo(Instant other) => Nanoseconds.CompareTo(other.Nanoseconds);

    /// <summary>Seconds with millisecond precision, as traces print it: "1.250s".</summary>
    public override string ToString() => FormattableString.Invariant($"{Nanoseconds / 1e9:0.000###}s");
}
