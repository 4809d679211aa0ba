namespace Netstack.Time;

/// <summary>The one source of time and deferred work the stack is allowed to use. The simulation
/// implements it with a virtual clock; live mode with the real clock. Both run everything on one thread.
/// That is the stack's threading contract: protocol code and the Api's calls into it run only on the loop
/// thread (<see cref="IsOnLoopThread"/>); an application call from any other thread is posted to the loop
/// (<see cref="RunOnLoop"/>), and its result comes back through a task.</summary>
public interface IScheduler
{
    /// <summary>The current time of the driver's clock (virtual in simulation, monotonic in live mode).</summary>
    Instant Now { get; }

    /// <summary>True on the thread that runs the loop; while nobody runs it, on the thread that owns it (the
    /// one that created it or ran it last), so a world can be set up and inspected between runs.</summary>
    bool IsOnLoopThread { get; }

    /// <summary>Runs <paramref name="action"/> now when on the loop thread, else posts it to the loop.</summary>
    void RunOnLoop(Action action)
    {
        if (IsOnLoopThread) action();
        else Post(action);
    }

    /// <summary>Runs <paramref name="action"/>.<see cref="IScheduledAction.Run"/>(<paramref name="token"/>)
    /// at <paramref name="due"/> (or as soon after as the driver can). Actions due at the same instant run
    /// in the order they were scheduled.</summary>
    void Schedule(Instant due, IScheduledAction action, long token);

    /// <summary>Runs a callback on the event loop as soon as possible, after the current event. Used for
    /// application continuations (async/await) so they never run inside protocol code.</summary>
    void Post(Action callback);
}

/// <summary>Something the scheduler runs. A token lets one object have many pending runs (or
/// invalidate old ones) without allocating a closure per event.</summary>
public interface IScheduledAction
{
    /// <summary>Called by the scheduler on the loop thread when a run scheduled with <paramref name="token"/> is
    /// due.</summary>
    void Run(long token);

    /// <summary>False once the run for <paramref name="token"/> has been superseded (a timer re-armed or
    /// cancelled), so a driver can discard it instead of advancing its clock to it, or drop it from its queue
    /// before it is due (so cancelled timers hold no memory). Once false for a token, it must stay false.</summary>
    bool IsCurrent(long token) => true;
}
