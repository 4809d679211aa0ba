using Netstack.Time;

namespace Netstack.Drivers.Loops;

/// <summary>The discrete-event loop of a simulation: a virtual clock that jumps straight to the next
/// due event, so a 60 s timeout costs nothing. Ties run in scheduling order, which with a seeded
/// generator makes every run identical.</summary>
public sealed class VirtualEventLoop : IEventLoop
{
    private readonly EventCalendar _events = new();
    // Events scheduled for the current instant skip the heap: they come after every heap event due now
    // (those were scheduled at an earlier clock reading, so have lower sequence numbers) and after each
    // other in FIFO order, which is exactly (due, sequence) order at O(1) instead of O(log n).
    private readonly Queue<(IScheduledAction Action, long Token)> _dueNow = new();
    private readonly Queue<Action> _posted = new();
    private readonly object _postLock = new();
    private volatile int _postedCount;
    private readonly LoopSynchronizationContext _context;
    private long _sequence;
    // The thread inside RunUntil (0 when none) and the one that owns the loop between runs.
    private volatile int _runningThread;
    private volatile int _ownerThread = Environment.CurrentManagedThreadId;

    public VirtualEventLoop(Instant? start = null)
    {
        Now = start ?? Instant.Zero;
        _context = new LoopSynchronizationContext(this);
    }

    public bool IsOnLoopThread =>
        Environment.CurrentManagedThreadId == (_runningThread is var running and not 0 ? running : _ownerThread);

    public Instant Now { get; private set; }
    public bool IsVirtual => true;
    public int PendingEvents => _events.Count + _dueNow.Count;
    public long EventsRun { get; private set; }

    /// <summary>When the earliest live event is due, if any (superseded timer runs are discarded).</summary>
    public Instant? NextDue
    {
        get
        {
            DiscardStale();
            return TryPeekDue(out var due) ? due : null;
        }
    }

    private void DiscardStale()
    {
        while (_events.Count > 0 && _events.PeekFirst() is var ev && !ev.Action.IsCurrent(ev.Token))
            _events.Dequeue(out _);
        while (_dueNow.TryPeek(out var ev) && !ev.Action.IsCurrent(ev.Token))
            _dueNow.Dequeue();
    }

    private bool TryPeekDue(out Instant due)
    {
        if (_dueNow.Count > 0)
        {
            due = Now;
            return true;
        }
        return _events.TryPeekDue(out due);
    }

    public void Schedule(Instant due, IScheduledAction action, long token)
    {
        if (due <= Now) // never go back in time
        {
            _sequence++;
            _dueNow.Enqueue((action, token));
            return;
        }
        _events.Enqueue(due, _sequence++, action, token);
    }

    /// <summary>Queued runs that are still current (a scan: for tests and diagnostics, not the data path).</summary>
    public int CountLiveEvents() => _events.CountLive() +
        _dueNow.Count(static ev => ev.Action.IsCurrent(ev.Token));

    public void Post(Action callback)
    {
        lock (_postLock)
        {
            _posted.Enqueue(callback);
            _postedCount++;
        }
    }

    /// <summary>Runs every event due at or before <paramref name="until"/>, then leaves the clock there.</summary>
    public void RunUntil(Instant until)
    {
        using var thread = EnterRun();
        using var scope = _context.Enter();
        DrainPosted();
        while (TryPeekDue(out var due) && due <= until)
            RunOne();
        if (until > Now) Now = until;
    }

    /// <summary>Runs events until <paramref name="condition"/> holds (checked after each event) or the
    /// clock would pass <paramref name="limit"/>. Returns whether the condition held.</summary>
    public bool RunUntil(Func<bool> condition, Instant limit)
    {
        using var thread = EnterRun();
        using var scope = _context.Enter();
        DrainPosted();
        if (condition()) return true;
        while (TryPeekDue(out var due) && due <= limit)
        {
            RunOne();
            if (condition()) return true;
        }
        if (limit > Now && limit != Instant.MaxValue) Now = limit;
        return condition();
    }

    /// <summary>Runs every event due before <paramref name="end"/> and leaves the clock at it, with the events due
    /// exactly then still queued: one window of a <see cref="ParallelVirtualLoop"/>, after which frames from other
    /// partitions arriving at or after <paramref name="end"/> are scheduled.</summary>
    internal void RunBefore(Instant end)
    {
        using var thread = EnterRun();
        using var scope = _context.Enter();
        DrainPosted();
        while (TryPeekDue(out var due) && due < end)
            RunOne();
        if (end > Now) Now = end;
    }

    /// <summary>Makes the calling thread the loop's owner between runs: a parallel loop's thread takes its partitions
    /// back after each window, so the world can be set up and inspected from it (and world events call hosts inline).</summary>
    internal void Adopt() => _ownerThread = Environment.CurrentManagedThreadId;

    /// <summary>Callbacks posted from other threads wait for the next run.</summary>
    internal bool HasPosted => _postedCount > 0;

    /// <summary>Runs until no events remain or the clock would pass <paramref name="limit"/>.</summary>
    public void RunUntilIdle(Instant limit) => RunUntil(static () => false, limit);

    /// <summary>Marks the calling thread as the loop's for the run (and its owner after it).</summary>
    private RunScope EnterRun()
    {
        int previous = _runningThread;
        _runningThread = _ownerThread = Environment.CurrentManagedThreadId;
        return new RunScope(this, previous);
    }

    private readonly struct RunScope(VirtualEventLoop loop, int previous) : IDisposable
    {
        public void Dispose() => loop._runningThread = previous;
    }

    private void RunOne()
    {
        (IScheduledAction Action, long Token) ev;
        Instant due;
        // Heap events due now were scheduled before anything in _dueNow, so they go first.
        if (_events.TryPeekDue(out due) && (due <= Now || _dueNow.Count == 0))
            ev = _events.Dequeue(out due);
        else
        {
            ev = _dueNow.Dequeue();
            due = Now;
        }
        if (!ev.Action.IsCurrent(ev.Token)) return; // superseded: the clock does not move for it
        Now = due;
        EventsRun++;
        ev.Action.Run(ev.Token);
        DrainPosted();
    }

    private void DrainPosted()
    {
        // Posts are rare next to events: check the count before taking the lock.
        while (_postedCount > 0)
        {
            Action? next;
            lock (_postLock)
            {
                if (!_posted.TryDequeue(out next)) return;
                _postedCount--;
            }
            next();
        }
    }
}
