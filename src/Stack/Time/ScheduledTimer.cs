namespace Netstack.Time;

/// <summary>A re-armable one-shot timer. Arming again replaces the previous deadline; stale queue
/// entries are recognised by their generation and ignored, so re-arming costs no allocation.</summary>
public sealed class ScheduledTimer : IScheduledAction
{
    private readonly IScheduler _scheduler;
    private readonly Action _callback;
    private long _generation;

    /// <summary>A disarmed timer that, when armed, runs <paramref name="callback"/> on <paramref name="scheduler"/>'s
    /// loop at its deadline.</summary>
    public ScheduledTimer(IScheduler scheduler, Action callback)
    {
        _scheduler = scheduler;
        _callback = callback;
    }

    /// <summary>True from <see cref="Arm"/> until the callback runs or <see cref="Cancel"/> is called.</summary>
    public bool IsArmed { get; private set; }
    /// <summary>The deadline last armed; stale once <see cref="IsArmed"/> is false.</summary>
    public Instant Due { get; private set; }

    /// <summary>Arms (or re-arms) the timer to fire at <paramref name="due"/>, replacing any earlier
    /// deadline.</summary>
    public void Arm(Instant due)
    {
        _generation++;
        IsArmed = true;
        Due = due;
        _scheduler.Schedule(due, this, _generation);
    }

    /// <summary>Arms (or re-arms) the timer to fire <paramref name="delay"/> after the scheduler's now.</summary>
    public void ArmAfter(Duration delay) => Arm(_scheduler.Now + delay);

    /// <summary>Arms only if not already armed: keeps the earlier deadline.</summary>
    public void ArmIfIdle(Duration delay)
    {
        if (!IsArmed) ArmAfter(delay);
    }

    /// <summary>Disarms the timer; a pending run is ignored when it comes due. No effect when not armed.</summary>
    public void Cancel()
    {
        if (!IsArmed) return;
        _generation++;
        IsArmed = false;
    }

    bool IScheduledAction.IsCurrent(long token) => IsArmed && token == _generation;

    void IScheduledAction.Run(long token)
    {
        if (!IsArmed || token != _generation) return;
        IsArmed = false;
        _callback();
    }
}
