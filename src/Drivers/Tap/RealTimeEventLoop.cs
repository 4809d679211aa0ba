using System.Diagnostics;
using System.Runtime.InteropServices;
using Netstack.Drivers.Loops;
using Netstack.Time;

namespace Netstack.Drivers.Tap;

/// <summary>The live counterpart of <see cref="VirtualEventLoop"/>: the same <see cref="IScheduler"/>
/// contract driven by the real clock, blocking in epoll on the watched descriptors (the TAP device)
/// until input arrives or the next timer is due. An eventfd lets <see cref="Post"/> and
/// <see cref="Stop"/> from other threads (signal handlers) wake it. Everything else runs on the thread
/// that calls <see cref="Run"/>, so the stack stays single-threaded as in the simulation.</summary>
public sealed unsafe class RealTimeEventLoop : IEventLoop, IDisposable
{
    private const ulong WakeToken = ulong.MaxValue;
    private const ulong TimerToken = ulong.MaxValue - 1;

    private readonly PriorityQueue<(IScheduledAction Action, long Token), (long Due, long Sequence)> _events = new();
    private readonly Queue<Action> _posted = new();
    private readonly object _postLock = new();
    private readonly List<IReadableHandler?> _handlers = new();
    private readonly Dictionary<int, int> _handlerIndexByFd = new();
    private readonly LoopSynchronizationContext _context;
    private readonly Epoll _epoll;
    private readonly int _wakeFd;
    // Wakes epoll at the next due time to the nanosecond (epoll_wait's own timeout counts whole milliseconds, so
    // every timer would fire up to 1 ms late). -1 where Stopwatch is not CLOCK_MONOTONIC in nanoseconds.
    private readonly int _timerFd = -1;
    private long _timerArmedFor = long.MaxValue;
    private long _startTimestamp;
    private long _startOffsetNs;
    private long _sequence;
    private readonly EventQueueCompactor<(long Due, long Sequence)> _compactor = new();
    private volatile bool _stopRequested;
    private Thread? _thread;
    // Owns the loop between runs: the thread that created it or ran it last.
    private volatile int _ownerThread = Environment.CurrentManagedThreadId;
    private bool _disposed;

    public RealTimeEventLoop()
    {
        // Instant zero is a whole Unix second, so a pcap sink given EpochUnixSeconds writes true wall-clock times.
        long unixNs = Duration.FromTimeSpan(DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Nanoseconds;
        _startTimestamp = Stopwatch.GetTimestamp();
        EpochUnixSeconds = unixNs / Duration.NanosecondsPerSecond;
        _startOffsetNs = unixNs % Duration.NanosecondsPerSecond;
        _context = new LoopSynchronizationContext(this);
        _epoll = new Epoll();
        _wakeFd = Libc.EventFd(0, Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (_wakeFd < 0) throw new IOException($"eventfd: {Libc.Describe(Libc.LastError)}");
        _epoll.Add(_wakeFd, WakeToken);
        if (OperatingSystem.IsLinux() && Stopwatch.Frequency == Duration.NanosecondsPerSecond)
        {
            _timerFd = Libc.TimerFdCreate(Libc.CLOCK_MONOTONIC, Libc.O_NONBLOCK | Libc.O_CLOEXEC);
            if (_timerFd >= 0) _epoll.Add(_timerFd, TimerToken);
        }
    }

    /// <summary>The Unix time (seconds) that <see cref="Instant.Zero"/> stands for.</summary>
    public long EpochUnixSeconds { get; private set; }

    /// <summary>The Unix time, in nanoseconds, that <see cref="Instant.Zero"/> stands for.</summary>
    public long EpochUnixNanoseconds => EpochUnixSeconds * Duration.NanosecondsPerSecond + _epochNanoseconds;
    private long _epochNanoseconds;

    /// <summary>Makes this moment <see cref="Instant.Zero"/> (a scenario's time zero, once its world is built).
    /// Only before anything is scheduled, since pending due times would silently move.</summary>
    public void ZeroClockNow()
    {
        if (_events.Count > 0) throw new InvalidOperationException("the clock cannot be reset with events pending");
        long unixNs = Duration.FromTimeSpan(DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Nanoseconds;
        _startTimestamp = Stopwatch.GetTimestamp();
        _startOffsetNs = 0;
        _timerArmedFor = long.MaxValue; // armed in the old time base
        EpochUnixSeconds = unixNs / Duration.NanosecondsPerSecond;
        _epochNanoseconds = unixNs % Duration.NanosecondsPerSecond;
    }

    public bool IsVirtual => false;

    public Instant? NextDue
    {
        get
        {
            DiscardStale();
            return _events.TryPeek(out _, out var key) ? new Instant(key.Due) : null;
        }
    }

    /// <summary>Superseded runs at the head are dropped, so the loop neither wakes for them nor counts them.</summary>
    private void DiscardStale()
    {
        while (_events.TryPeek(out var ev, out _) && !ev.Action.IsCurrent(ev.Token))
            _events.Dequeue();
    }

    public Instant Now
    {
        get
        {
            long elapsed = Stopwatch.GetTimestamp() - _startTimestamp;
            return new Instant(_startOffsetNs + (long)((double)elapsed * Duration.NanosecondsPerSecond / Stopwatch.Frequency));
        }
    }

    public long EventsRun { get; private set; }

    /// <summary>How late this loop ran its timers (see <see cref="LatenessMeter"/>).</summary>
    public LatenessMeter Lateness { get; } = new();

    public bool IsRunning => _thread is not null;

    public bool IsOnLoopThread => _thread is { } running
        ? running == Thread.CurrentThread
        : Environment.CurrentManagedThreadId == _ownerThread;

    public void Schedule(Instant due, IScheduledAction action, long token)
    {
        _events.Enqueue((action, token), (due.Nanoseconds, _sequence++));
        _compactor.AfterEnqueue(_events);
    }

    /// <summary>Queued timer runs, superseded ones included until they are compacted away or due.</summary>
    public int PendingEvents => _events.Count;

    /// <summary>Queued runs that are still current (a scan: for tests and diagnostics).</summary>
    public int CountLiveEvents() => EventQueueCompactor<(long, long)>.CountLive(_events);

    /// <summary>Thread-safe: queues <paramref name="callback"/> to run on the loop, waking it if it sleeps.</summary>
    public void Post(Action callback)
    {
        lock (_postLock) _posted.Enqueue(callback);
        // The eventfd keeps the wake-up until the loop reads it, so a Post racing with epoll_wait is not lost.
        if (Thread.CurrentThread != _thread) Wake();
    }

    /// <summary>Thread-safe: makes <see cref="Run"/> return after the event it is running.</summary>
    public void Stop()
    {
        _stopRequested = true;
        Wake();
    }

    /// <summary>Stops the loop on SIGINT or SIGTERM (instead of the process dying with work unflushed)
    /// until the returned registration is disposed.</summary>
    public IDisposable StopOnTerminationSignals()
    {
        var registrations = new List<PosixSignalRegistration>();
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                Stop();
            }));
        return new Registrations(registrations);
    }

    /// <summary>Calls <paramref name="handler"/> on the loop whenever <paramref name="fd"/> is readable.</summary>
    public void Watch(int fd, IReadableHandler handler)
    {
        int index = _handlers.IndexOf(null);
        if (index < 0)
        {
            index = _handlers.Count;
            _handlers.Add(handler);
        }
        else _handlers[index] = handler;
        _handlerIndexByFd[fd] = index;
        _epoll.Add(fd, (ulong)index);
    }

    public void Unwatch(int fd)
    {
        if (!_handlerIndexByFd.Remove(fd, out int index)) return;
        _epoll.Remove(fd);
        _handlers[index] = null;
    }

    /// <summary>Runs events, posted callbacks and device input until <see cref="Stop"/> is called.</summary>
    public void Run() => RunCore(null, long.MaxValue);

    /// <summary>Runs until <paramref name="condition"/> holds (checked after each batch of work) or
    /// <paramref name="limit"/> of real time has passed; returns whether it held.</summary>
    public bool RunUntil(Func<bool> condition, Duration limit) => RunUntil(condition, Now + limit);

    /// <summary>Runs events, posted callbacks and device input until the clock reaches <paramref name="until"/>.</summary>
    public void RunUntil(Instant until) => RunCore(null, until.Nanoseconds);

    /// <summary>Runs until <paramref name="condition"/> holds (checked after each batch of work) or the clock
    /// reaches <paramref name="limit"/>; returns whether it held.</summary>
    public bool RunUntil(Func<bool> condition, Instant limit)
    {
        RunCore(condition, limit.Nanoseconds);
        return condition();
    }

    private void RunCore(Func<bool>? condition, long deadlineNs)
    {
        if (_thread is not null) throw new InvalidOperationException("the loop is already running");
        _thread = Thread.CurrentThread;
        _ownerThread = Environment.CurrentManagedThreadId;
        _stopRequested = false;
        using var scope = _context.Enter();
        Span<ulong> ready = stackalloc ulong[16];
        try
        {
            while (!_stopRequested)
            {
                DrainPosted();
                RunDueEvents();
                if (condition is not null && condition()) return;
                long now = Now.Nanoseconds;
                if (now >= deadlineNs)
                {
                    // A thread preempted between running the due events and reading the clock finds the deadline
                    // passed with events that fell due before it still queued: they run before the loop returns.
                    if (NextDue is { } due && due.Nanoseconds <= deadlineNs) continue;
                    return;
                }
                int timeout = TimeoutMs(now, deadlineNs);
                int n = _epoll.Wait(ready, timeout);
                for (int i = 0; i < n; i++)
                {
                    if (ready[i] == WakeToken) DrainWake();
                    else if (ready[i] == TimerToken) DrainTimer();
                    else if (_handlers[(int)ready[i]] is { } handler) Contain(handler);
                    DrainPosted();
                }
            }
        }
        finally
        {
            _thread = null;
        }
    }

    private int TimeoutMs(long now, long deadlineNs)
    {
        if (HasPosted()) return 0;
        long wake = deadlineNs;
        DiscardStale();
        if (_events.TryPeek(out _, out var key) && key.Due < wake) wake = key.Due;
        if (wake == long.MaxValue) return -1;
        long waitNs = wake - now;
        if (waitNs <= 0) return 0;
        if (_timerFd >= 0 && ArmTimer(wake)) return -1;
        // Round up: waking a little late is harmless, waking early only spins.
        return (int)Math.Min(int.MaxValue, (waitNs + Duration.NanosecondsPerMillisecond - 1) / Duration.NanosecondsPerMillisecond);
    }

    /// <summary>Arms the timerfd for the instant <paramref name="wakeNs"/> (absolute CLOCK_MONOTONIC time).</summary>
    private bool ArmTimer(long wakeNs)
    {
        if (wakeNs == _timerArmedFor) return true;
        long monotonic = _startTimestamp + (wakeNs - _startOffsetNs);
        var spec = new Libc.ITimerSpec
        {
            Value = new Libc.TimeSpec { Seconds = monotonic / Duration.NanosecondsPerSecond, Nanoseconds = monotonic % Duration.NanosecondsPerSecond },
        };
        if (Libc.TimerFdSetTime(_timerFd, Libc.TFD_TIMER_ABSTIME, &spec, null) != 0) return false;
        _timerArmedFor = wakeNs;
        return true;
    }

    private void DrainTimer()
    {
        ulong expirations;
        Libc.Read(_timerFd, (byte*)&expirations, sizeof(ulong));
        _timerArmedFor = long.MaxValue;
    }

    private void RunDueEvents()
    {
        long now = Now.Nanoseconds;
        while (!_stopRequested && _events.TryPeek(out _, out var key) && key.Due <= now)
        {
            _events.TryDequeue(out var ev, out _);
            if (!ev.Action.IsCurrent(ev.Token)) continue; // superseded
            EventsRun++;
            if (ev.Action.IsCurrent(ev.Token)) Lateness.Record(new Instant(key.Due), Now);
            try
            {
                ev.Action.Run(ev.Token);
            }
            catch (Exception e) when (FaultObserver is not null && e is not OutOfMemoryException)
            {
                Faults++;
                FaultObserver(e);
            }
            DrainPosted();
        }
    }

    /// <summary>When set, an exception escaping a timer event or a device handler is counted and handed here, and
    /// the loop goes on (live mode: a defect hit by one frame must not end the host); when null it propagates.</summary>
    public Action<Exception>? FaultObserver { get; set; }

    /// <summary>Exceptions contained by <see cref="FaultObserver"/>.</summary>
    public long Faults { get; private set; }

    private void Contain(IReadableHandler handler)
    {
        try
        {
            handler.OnReadable();
        }
        catch (Exception e) when (FaultObserver is not null && e is not OutOfMemoryException)
        {
            Faults++;
            FaultObserver(e);
        }
    }

    private bool HasPosted()
    {
        lock (_postLock) return _posted.Count > 0;
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

    private void Wake()
    {
        ulong one = 1;
        Libc.Write(_wakeFd, (byte*)&one, sizeof(ulong));
    }

    private void DrainWake()
    {
        ulong value;
        Libc.Read(_wakeFd, (byte*)&value, sizeof(ulong));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _epoll.Dispose();
        Libc.Close(_wakeFd);
        if (_timerFd >= 0) Libc.Close(_timerFd);
    }

    private sealed class Registrations(List<PosixSignalRegistration> items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var r in items) r.Dispose();
        }
    }
}
