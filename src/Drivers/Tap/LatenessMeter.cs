using Netstack.Time;

namespace Netstack.Drivers.Tap;

/// <summary>How late the real-time loop ran its own work: for each timer it compares the due time with the time
/// it actually ran (cyclictest's measure). While <see cref="StartProbe"/> is on, a timer every
/// <see cref="ProbeInterval"/> keeps measuring even when nothing else is due, so a stall of the loop thread
/// (descheduled on a loaded machine, a GC pause) is seen wherever it falls, to within one interval. A real-wire
/// check uses it to tell a late peer from a late harness: frames are stamped when the loop reads them, and the
/// harness's own sends leave when its timers run.</summary>
public sealed class LatenessMeter
{
    /// <summary>Lateness below this is the loop's ordinary wake-up jitter, not worth recording.</summary>
    public static readonly Duration Noise = Duration.FromMicroseconds(100);

    public static readonly Duration ProbeInterval = Duration.FromMilliseconds(1);

    private const int MaxStalls = 100_000;
    private readonly List<(Instant Due, Instant Ran)> _stalls = new();
    private ScheduledTimer? _probe;

    public Duration Worst { get; private set; }
    public long Samples { get; private set; }

    /// <summary>The resolution of the measure: a stall shorter than the probe interval may go unseen, and one
    /// that is seen may have begun up to one interval before the late timer was due.</summary>
    public Duration Resolution => _probe is null ? Duration.Zero : ProbeInterval;

    public void Record(Instant due, Instant ran)
    {
        Samples++;
        var late = ran - due;
        if (late < Noise) return;
        Worst = Duration.Max(Worst, late);
        if (_stalls.Count < MaxStalls) _stalls.Add((due, ran));
        else Worst = Duration.MaxValue; // no longer knows where: treat every window as possibly affected
    }

    /// <summary>Starts the periodic probe on <paramref name="scheduler"/> (the loop being measured).</summary>
    public void StartProbe(IScheduler scheduler)
    {
        if (_probe is not null) return;
        _probe = new ScheduledTimer(scheduler, () => _probe!.ArmAfter(ProbeInterval));
        _probe.ArmAfter(ProbeInterval);
    }

    public void StopProbe()
    {
        _probe?.Cancel();
        _probe = null;
    }

    /// <summary>The longest stall of the loop that overlaps [<paramref name="from"/>, <paramref name="to"/>],
    /// plus the resolution when there was one; zero when the loop kept time there.</summary>
    public Duration StallDuring(Instant from, Instant to)
    {
        if (Worst == Duration.MaxValue) return Duration.MaxValue;
        var worst = Duration.Zero;
        foreach (var (due, ran) in _stalls)
            if (due <= to && ran >= from) worst = Duration.Max(worst, ran - due);
        return worst == Duration.Zero ? Duration.Zero : worst + Resolution;
    }
}
