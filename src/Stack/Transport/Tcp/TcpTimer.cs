using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>A connection timer that is restarted far more often than it fires (the retransmission timer
/// on every ACK). Moving the deadline later only records it; the scheduler is told again only when the
/// deadline moves earlier or an early wake-up finds the deadline still ahead, so the event queue does not
/// grow with every restart.</summary>
internal sealed class TcpTimer
{
    private readonly IScheduler _scheduler;
    private readonly ScheduledTimer _wakeup;
    private readonly Action _expired;

    public TcpTimer(IScheduler scheduler, Action expired)
    {
        _scheduler = scheduler;
        _expired = expired;
        _wakeup = new ScheduledTimer(scheduler, Wake);
    }

    public bool IsRunning { get; private set; }
    public Instant Deadline { get; private set; }

    public void Start(TimeSpan delay) => StartAt(_scheduler.Now + delay);

    public void StartAt(Instant due)
    {
        IsRunning = true;
        Deadline = due;
        if (!_wakeup.IsArmed || _wakeup.Due > due) _wakeup.Arm(due);
    }

    /// <summary>Stops the timer and cancels its wake-up, so the scheduler can drop the queued entry (and the
    /// connection it references) now instead of at its due time. Restarting after a stop schedules afresh.</summary>
    public void Stop()
    {
        IsRunning = false;
        _wakeup.Cancel();
    }

    private void Wake()
    {
        if (!IsRunning) return;
        if (_scheduler.Now < Deadline)
        {
            _wakeup.Arm(Deadline);
            return;
        }
        IsRunning = false;
        _expired();
    }
}
