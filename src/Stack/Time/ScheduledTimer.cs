namespace Netstack.Time;

/// <summary>A re-armable one-shot timer. Arming again replaces the previous deadline; stale queue
/// entries are recognised by their generation and ignored, so re-arming costs no allocation.</summary>
public sealed class ScheduledTimer : IScheduledAction
{
    private readonly IScheduler _scheduler;
    private readonly Action _callback;
    private long _generation;

    public ScheduledTimer(IScheduler scheduler, Action callback)
    {
        _scheduler = scheduler;
        _callback = callback;
    }

    public bool IsArmed { get; private set; }
    public Instant Due { get; private set; }

    public void Arm(Instant due)
    {
        _generation++;
        IsArmed = true;
        Due = due;
        _scheduler.Schedule(due, this, _generation);
    }

    public void ArmAfter(TimeSpan delay) => Arm(_scheduler.Now + delay);

    /// <summary>Arms only if not already armed: keeps the earlier deadline.</summary>
    public void ArmIfIdle(TimeSpan delay)
    {
        if (!IsArmed) ArmAfter(delay);
    }

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
