using Netstack.Time;

namespace Netstack.Simulation.Loop;

/// <summary>The discrete-event loop of a simulation: a virtual clock that jumps straight to the next
/// due event, so a 60 s timeout costs nothing. Ties run in scheduling order, which with a seeded
/// generator makes every run identical.</summary>
public sealed class VirtualEventLoop : IScheduler
{
    private readonly PriorityQueue<(IScheduledAction Action, long Token), EventKey> _events = new(EventKeyComparer.Instance);
    private readonly Queue<Action> _posted = new();
    private readonly object _postLock = new();
    private readonly LoopSynchronizationContext _context;
    private long _sequence;

    public VirtualEventLoop(Instant? start = null)
    {
        Now = start ?? Instant.Zero;
        _context = new LoopSynchronizationContext(this);
    }

    public Instant Now { get; private set; }
    public int PendingEvents => _events.Count;
    public long EventsRun { get; private set; }

    /// <summary>When the earliest live event is due, if any (superseded timer runs are discarded).</summary>
    public Instant? NextDue
    {
        get
        {
            DiscardStale();
            return _events.TryPeek(out _, out var key) ? new Instant(key.Due) : null;
        }
    }

    private void DiscardStale()
    {
        while (_events.TryPeek(out var ev, out _) && !ev.Action.IsCurrent(ev.Token))
            _events.Dequeue();
    }

    public void Schedule(Instant due, IScheduledAction action, long token)
    {
        if (due < Now) due = Now; // never go back in time
        _events.Enqueue((action, token), new EventKey(due.Nanoseconds, _sequence++));
    }

    public void Post(Action callback)
    {
        lock (_postLock) _posted.Enqueue(callback);
    }

    /// <summary>Runs every event due at or before <paramref name="until"/>, then leaves the clock there.</summary>
    public void RunUntil(Instant until)
    {
        using var scope = _context.Enter();
        DrainPosted();
        while (_events.TryPeek(out _, out var key) && key.Due <= until.Nanoseconds)
            RunOne();
        if (until > Now) Now = until;
    }

    /// <summary>Runs events until <paramref name="condition"/> holds (checked after each event) or the
    /// clock would pass <paramref name="limit"/>. Returns whether the condition held.</summary>
    public bool RunUntil(Func<bool> condition, Instant limit)
    {
        using var scope = _context.Enter();
        DrainPosted();
        if (condition()) return true;
        while (_events.TryPeek(out _, out var key) && key.Due <= limit.Nanoseconds)
        {
            RunOne();
            if (condition()) return true;
        }
        if (limit > Now && limit != Instant.MaxValue) Now = limit;
        return condition();
    }

    /// <summary>Runs until no events remain or the clock would pass <paramref name="limit"/>.</summary>
    public void RunUntilIdle(Instant limit) => RunUntil(static () => false, limit);

    private void RunOne()
    {
        _events.TryDequeue(out var ev, out var key);
        if (!ev.Action.IsCurrent(ev.Token)) return; // superseded: the clock does not move for it
        Now = new Instant(key.Due);
        EventsRun++;
        ev.Action.Run(ev.Token);
        DrainPosted();
    }

    private void DrainPosted()
    {
        while (true)
        {
            Action? next;
            lock (_postLock)
            {
                if (!_posted.TryDequeue(out next)) return;
            }
            next();
        }
    }

    private readonly record struct EventKey(long Due, long Sequence);

    private sealed class EventKeyComparer : IComparer<EventKey>
    {
        public static readonly EventKeyComparer Instance = new();
        public int Compare(EventKey a, EventKey b) =>
            a.Due != b.Due ? a.Due.CompareTo(b.Due) : a.Sequence.CompareTo(b.Sequence);
    }
}
