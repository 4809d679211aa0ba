using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Time;

namespace Netstack.Harness.Running;

/// <summary>A resolved window of virtual time, inclusive at both ends; <see cref="Open"/> end means "until
/// the run ends".</summary>
public readonly record struct TimeWindow(Instant Start, Instant End, bool OpenEnd, Instant RunEnd = default)
{
    public static readonly Instant Open = Instant.MaxValue;

    public bool Contains(Instant t) => t >= Start && t <= End;

    public Duration DistanceTo(Instant t) => t < Start ? Start - t : t > End ? t - End : Duration.Zero;

    /// <summary><paramref name="frames"/> nearest the window first (those inside it at once), ties in recording order.</summary>
    public IOrderedEnumerable<CapturedFrame> Nearest(IEnumerable<CapturedFrame> frames)
    {
        var window = this;
        return frames.OrderBy(f => window.DistanceTo(f.Time)).ThenBy(f => f.Number);
    }

    public string Describe()
    {
        if (Start == End) return $"at {TimeSyntax.FormatTime(Start)}";
        if (OpenEnd) return $"from {TimeSyntax.FormatTime(Start)} until the run ended at {TimeSyntax.FormatTime(RunEnd)}";
        return $"between {TimeSyntax.FormatTime(Start)} and {TimeSyntax.FormatTime(End)}";
    }
}
