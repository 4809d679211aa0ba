using Netstack.Drivers.Capture;
using Netstack.Drivers.Segments;
using Netstack.Time;

namespace Netstack.Drivers.Loops;

/// <summary>A virtual loop that runs the hosts of a world on several threads and still replays byte for byte: a
/// conservative parallel discrete-event simulation, as Shadow and ns-3's distributed simulator do it. Every host is
/// a partition (a logical process) with its own <see cref="VirtualEventLoop"/>; the partitions are dealt to the
/// threads. Time advances in windows no longer than the lookahead, the smallest latency of a segment joining two
/// partitions: nothing a host sends inside a window can arrive before the window ends, so within a window the hosts
/// are independent and each thread runs its own alone. At the end of a window the frames sent are merged in one
/// total order (send time, then partition, then the order the partition sent them) and carried by their segments
/// (switching, faults, serialisation) on this thread, which schedules each arrival on its receiving partition; the
/// recording is merged in the same order. Nothing depends on which thread ran what or when: one thread and two give
/// the same events in the same order, so the same pcap. World-level events (fault timers, scenario steps) run on
/// this thread between windows, with every partition stopped at their instant.
///
/// The order of simultaneous events differs from <see cref="VirtualEventLoop"/>'s (a frame arriving from another
/// host is queued when its window ends, not when it was sent), so a run here is its own deterministic run, not the
/// single loop's replay; the two agree wherever no two things happen at one instant.</summary>
public sealed class ParallelVirtualLoop : IEventLoop, IDisposable
{
    private readonly VirtualEventLoop _world = new();
    private readonly List<LogicalProcess> _partitions = new();
    private readonly List<VirtualSegment> _segments = new();
    private readonly List<LogicalProcess>[] _byWorker;
    private WindowWorkers? _workers;
    private Instant? _carryingAt;
    private IFrameSink? _capture;
    private Duration? _lookahead;
    private Instant _windowEnd;
    private bool _windowInclusive;
    private readonly Action<int> _runWindow;
    private readonly Action<LogicalProcess.FrameArena, int> _record, _carry;

    /// <param name="threads">Threads to run the partitions on (the caller's is one of them); 1 runs every partition
    /// on the caller's thread, in the same windows and order.</param>
    public ParallelVirtualLoop(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "at least one thread");
        Threads = threads;
        _byWorker = Enumerable.Range(0, threads).Select(_ => new List<LogicalProcess>()).ToArray();
        _windowCpu = new Duration[threads];
        _runWindow = RunWindow;
        _record = (log, i) => _capture!.Write(log[i].Time, log.Bytes(log[i]), log[i].Context);
        _carry = (log, i) =>
        {
            _carryingLog = log;
            _carryingIndex = i;
            _carryingAt = log[i].Time;
            log[i].Port!.Carry(log.Bytes(log[i]));
        };
    }

    public int Threads { get; }

    /// <summary>Windows run so far.</summary>
    public long Windows { get; private set; }

    /// <summary>The longest window: the smallest latency of a segment between two partitions (known once running).</summary>
    public Duration? Lookahead => _lookahead;

    public bool IsVirtual => true;

    /// <summary>While a segment carries a frame between windows: when the frame was sent (fault rules read the clock).</summary>
    public Instant Now => _carryingAt ?? _world.Now;

    public bool IsOnLoopThread => _world.IsOnLoopThread;

    public void Schedule(Instant due, IScheduledAction action, long token) => _world.Schedule(due, action, token);

    public void Post(Action callback) => _world.Post(callback);

    /// <summary>A partition for one host, whose scheduler the host's stack is given.</summary>
    internal LogicalProcess AddPartition(string name)
    {
        if (_workers is not null) throw new InvalidOperationException("partitions are added before the loop first runs");
        var partition = new LogicalProcess(this, _partitions.Count, name);
        _partitions.Add(partition);
        _byWorker[partition.Index % Threads].Add(partition);
        return partition;
    }

    /// <summary>Adds a host and returns the scheduler its stack runs on.</summary>
    public IScheduler AddHost(string name) => AddPartition(name).Loop;

    /// <summary>Puts a port of a segment in the partition of <paramref name="hostScheduler"/> (from
    /// <see cref="AddHost"/>); the segment must have been made with this loop.</summary>
    public void Attach(VirtualPort port, IScheduler hostScheduler)
    {
        var partition = _partitions.Find(p => p.Loop == hostScheduler)
            ?? throw new ArgumentException("not a host scheduler of this loop", nameof(hostScheduler));
        if (!_segments.Contains(port.Segment)) _segments.Add(port.Segment);
        port.JoinPartition(partition);
    }

    /// <summary>Where a capture of <paramref name="hostScheduler"/>'s frames writes: held until its window ends, then
    /// merged into <paramref name="sink"/> in the loop's order. One sink for the whole world.</summary>
    public IFrameSink CaptureOf(IScheduler hostScheduler, IFrameSink sink)
    {
        if (_capture is not null && _capture != sink) throw new InvalidOperationException("a parallel world records to one sink");
        _capture = sink;
        return _partitions.Find(p => p.Loop == hostScheduler)?.Capture
            ?? throw new ArgumentException("not a host scheduler of this loop", nameof(hostScheduler));
    }

    public Instant? NextDue
    {
        get
        {
            Settle();
            return Earliest(out _);
        }
    }

    public void RunUntil(Instant until) => RunUntil(static () => false, until);

    /// <summary>Runs windows until <paramref name="condition"/> holds (checked between windows, where every
    /// partition is stopped at one instant) or the clock would pass <paramref name="limit"/>.</summary>
    public bool RunUntil(Func<bool> condition, Instant limit)
    {
        var lookahead = _lookahead ??= FindLookahead();
        _workers ??= new WindowWorkers(Math.Min(Threads, Math.Max(1, _partitions.Count)));
        Settle();
        if (condition()) return true;
        while (Earliest(out bool worldFirst) is { } start && start <= limit)
        {
            if (worldFirst)
            {
                AdvanceAll(start);
                _world.RunUntil(start);
            }
            else
            {
                var end = start + lookahead;
                if (_world.NextDue is { } worldDue && worldDue < end) end = worldDue;
                // The last window runs to the limit inclusive and leaves every clock on it.
                _windowInclusive = end > limit;
                if (_windowInclusive) end = limit;
                _windowEnd = end;
                _workers.Run(_runWindow);
                if (MeasureCriticalPath) CriticalPathCpu += BusiestThread();
                foreach (var p in _partitions) p.Loop.Adopt();
                Windows++;
                if (_windowInclusive) _world.RunUntil(end);
                else _world.RunBefore(end);
            }
            Settle();
            if (condition()) return true;
        }
        if (limit != Instant.MaxValue && limit > Now) AdvanceAll(limit);
        return condition();
    }

    private void RunWindow(int worker)
    {
        var cpuBefore = MeasureCriticalPath ? ThreadCpuTime.Now() : Duration.Zero;
        RunPartitions(worker);
        if (MeasureCriticalPath) _windowCpu[worker] = ThreadCpuTime.Now() - cpuBefore;
    }

    private Duration BusiestThread()
    {
        var most = Duration.Zero;
        foreach (var cpu in _windowCpu)
            if (cpu > most) most = cpu;
        return most;
    }

    private void RunPartitions(int worker)
    {
        foreach (var partition in _byWorker[worker])
        {
            partition.Ingest();
            if (_windowInclusive) partition.Loop.RunUntil(_windowEnd);
            else partition.Loop.RunBefore(_windowEnd);
        }
    }

    /// <summary>Moves every clock (the world's and each partition's) to <paramref name="at"/>; nothing is due before.</summary>
    private void AdvanceAll(Instant at)
    {
        foreach (var p in _partitions) p.Loop.RunBefore(at);
        _world.RunBefore(at);
        Settle();
    }

    /// <summary>The earliest instant anything is due: a world event (which then runs first) or a partition's.</summary>
    private Instant? Earliest(out bool worldFirst)
    {
        Instant? earliest = null;
        foreach (var p in _partitions)
        {
            var due = p.Loop.HasPosted ? p.Loop.Now : p.Loop.NextDue;
            if (due is { } d && (earliest is null || d < earliest)) earliest = d;
            if (p.EarliestInbound is { } a && (earliest is null || a < earliest)) earliest = a;
        }
        var world = _world.HasPosted ? _world.Now : _world.NextDue;
        worldFirst = world is { } w && (earliest is null || w <= earliest);
        return worldFirst ? world : earliest;
    }

    /// <summary>Between windows: the recording is written and the segments carry what the partitions sent, both in
    /// the merged order; each arrival waits in its receiver's inbox for the next window.</summary>
    private void Settle()
    {
        // Clocks are read only when a benchmark asks (MeasureCriticalPath): they measure, they never steer the run.
        long started = MeasureCriticalPath ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        var cpuBefore = MeasureCriticalPath ? ThreadCpuTime.Now() : Duration.Zero;
        // Inboxes point into the outboxes carried last time, which are about to be reused: normally the window
        // between emptied them; if none ran (a world event, a second look), they are scheduled here.
        foreach (var p in _partitions) p.Ingest();
        foreach (var p in _partitions)
            if (p.Recorded.Count > 0) _logs.Add(p.Recorded);
        Merge(_logs, _record);
        foreach (var log in _logs) log.Clear();
        _logs.Clear();
        foreach (var p in _partitions)
            if (p.Outbox.Count > 0) _logs.Add(p.TakeOutbox());
        Merge(_logs, _carry);
        _logs.Clear();
        _carryingLog = null;
        _carryingAt = null;
        if (!MeasureCriticalPath) return;
        _settleTicks += System.Diagnostics.Stopwatch.GetTimestamp() - started;
        CriticalPathCpu += ThreadCpuTime.Now() - cpuBefore;
    }

    private long _settleTicks;
    private readonly Duration[] _windowCpu;

    /// <summary>When set, <see cref="CriticalPathCpu"/> and <see cref="SerialTime"/> are kept (clock reads per thread
    /// and window); otherwise the loop reads no clock at all.</summary>
    public bool MeasureCriticalPath { get; set; }

    /// <summary>The CPU time of the run's critical path: for each window the busiest thread's, plus the work between
    /// windows. With a core per thread and nothing else running, about the wall time; on a machine shared with other
    /// work, what the wall time would have been, where the wall time itself measures the waits for a core.</summary>
    public Duration CriticalPathCpu { get; private set; }

    /// <summary>Wall time spent between windows carrying frames and writing the recording: the serial part (kept while
    /// <see cref="MeasureCriticalPath"/> is set).</summary>
    public Duration SerialTime => Duration.FromTimeSpan(System.Diagnostics.Stopwatch.GetElapsedTime(0, _settleTicks));

    private readonly List<LogicalProcess.FrameArena> _logs = new();
    private readonly List<(LogicalProcess.FrameArena Log, int Next)> _merging = new();
    private LogicalProcess.FrameArena? _carryingLog;
    private int _carryingIndex;

    /// <summary>Whether <paramref name="frame"/> is the frame being carried, where it lies in its outbox.</summary>
    internal bool IsCarrying(ReadOnlySpan<byte> frame, out LogicalProcess.FrameArena log, out int offset)
    {
        log = _carryingLog!;
        offset = 0;
        if (_carryingLog is null || !_carryingLog.Holds(frame, _carryingLog[_carryingIndex])) return false;
        offset = _carryingLog[_carryingIndex].Offset;
        return true;
    }

    /// <summary>Visits every entry of <paramref name="logs"/> (given in partition order) in (time, partition,
    /// position) order. Each log is in time order already; the logs are few, so a scan picks the next.</summary>
    private void Merge(List<LogicalProcess.FrameArena> logs, Action<LogicalProcess.FrameArena, int> visit)
    {
        foreach (var log in logs) _merging.Add((log, 0));
        while (_merging.Count > 0)
        {
            int best = 0;
            for (int i = 1; i < _merging.Count; i++)
                if (_merging[i].Log[_merging[i].Next].Time < _merging[best].Log[_merging[best].Next].Time) best = i;
            var (log, next) = _merging[best];
            visit(log, next);
            if (next + 1 < log.Count) _merging[best] = (log, next + 1);
            else _merging.RemoveAt(best);
        }
    }

    private Duration FindLookahead()
    {
        Duration? smallest = null;
        foreach (var segment in _segments)
        {
            var partitions = segment.Ports.Select(p => p.Partition).Where(p => p is not null).Distinct().Count();
            if (partitions < 2) continue;
            if (segment.Options.Latency <= Duration.Zero)
                throw new InvalidOperationException(
                    $"segment '{segment.Name}' joins {partitions} hosts with zero latency: a parallel run needs every " +
                    "segment between hosts to have a latency > 0 (its lookahead); give it one, or run on one thread");
            if (smallest is null || segment.Options.Latency < smallest) smallest = segment.Options.Latency;
        }
        return smallest ?? Duration.FromMilliseconds(1);
    }

    public void Dispose() => _workers?.Dispose();
}
