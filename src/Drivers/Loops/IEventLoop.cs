using Netstack.Time;

namespace Netstack.Drivers.Loops;

/// <summary>The one loop that drives a world of stacks: a scheduler that can also be run. The virtual loop jumps
/// its clock to each event; the real-time loop waits for the clock (and for device input) to get there. Code
/// that plays a scenario is written against this, so the same steps run on either wire.</summary>
public interface IEventLoop : IScheduler
{
    /// <summary>True when time is virtual: runs are deterministic and waiting costs nothing.</summary>
    bool IsVirtual { get; }

    /// <summary>When the earliest pending event is due, if any.</summary>
    Instant? NextDue { get; }

    /// <summary>Runs everything due up to <paramref name="until"/>; returns with the clock at (or, on the real
    /// clock, just past) it.</summary>
    void RunUntil(Instant until);

    /// <summary>Runs until <paramref name="condition"/> holds or the clock reaches <paramref name="limit"/>;
    /// returns whether it held.</summary>
    bool RunUntil(Func<bool> condition, Instant limit);
}
