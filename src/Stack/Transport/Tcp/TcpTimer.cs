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

    public void Start(Duration delay) => StartAt(_scheduler.Now + delay);

    public void StartAt(Instant due)
    {
        IsRunning = true;
        Deadline = due;
        if (!_wakeup.IsArmed || _wakeup.Due > due) _wakeup.Arm(due);
    }

    /// <summary>A stopped timer's wake-up due within this long is left to lapse, so the stop/start cycle of the
    /// delayed-ACK and retransmission timers (every few segments) costs no scheduling; one due later (keepalive,
    /// TIME-WAIT, a backed-off retransmission) is cancelled, so the scheduler can drop it and the connection it
    /// references now rather than hours later (issue 18: memory grew with the connection rate).</summary>
    private static readonly Duration LapseHorizon = Duration.FromSeconds(1);

    public void Stop()
    {
        IsRunning = false;
        if (_wakeup.IsArmed && _wakeup.Due > _scheduler.Now + LapseHorizon) _wakeup.Cancel();
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
