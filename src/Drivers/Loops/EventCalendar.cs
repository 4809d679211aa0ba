using Netstack.Time;

namespace Netstack.Drivers.Loops;

/// <summary>The virtual loop's future events in (due, scheduling order) order, kept as runs: consecutive schedules
/// for the same instant (a window of segments sent at once, all arriving after the same latency; the ACKs a burst
/// provokes) share one FIFO bucket, and only buckets go through the binary heap. A bulk transfer then pays a heap
/// operation per burst instead of per frame. A bucket takes events only while it is the newest bucket, so the
/// events of different buckets for one instant never interleave, and ordering buckets by (due, first sequence)
/// keeps exactly the order of a heap of single events. Superseded runs are dropped when the calendar has doubled
/// since the last compaction, as <see cref="EventQueueCompactor{TPriority}"/> does for a plain heap.</summary>
internal sealed class EventCalendar
{
    private readonly PriorityQueue<Bucket, RunKey> _heap = new();
    private readonly Stack<Bucket> _free = new();
    private Bucket? _newest;
    private int _compactAt = EventQueueCompactor<long>.MinimumSize;

    /// <summary>Queued runs, current or superseded.</summary>
    public int Count { get; private set; }

    public long Compactions { get; private set; }

    public void Enqueue(Instant due, long sequence, IScheduledAction action, long token)
    {
        var bucket = _newest;
        if (bucket is null || bucket.Due != due)
        {
            bucket = _free.Count > 0 ? _free.Pop() : new Bucket();
            bucket.Due = due;
            _heap.Enqueue(bucket, new RunKey(due, sequence));
            _newest = bucket;
        }
        bucket.Add(action, token);
        if (++Count > _compactAt) Compact();
    }

    /// <summary>The first run's due time, if any.</summary>
    public bool TryPeekDue(out Instant due)
    {
        if (_heap.TryPeek(out var bucket, out _))
        {
            due = bucket.Due;
            return true;
        }
        due = default;
        return false;
    }

    /// <summary>The first run without taking it.</summary>
    public (IScheduledAction Action, long Token) PeekFirst() => _heap.Peek().First;

    public (IScheduledAction Action, long Token) Dequeue(out Instant due)
    {
        var bucket = _heap.Peek();
        due = bucket.Due;
        var run = bucket.Take();
        Count--;
        if (bucket.Count == 0) Retire(_heap.Dequeue());
        return run;
    }

    private void Retire(Bucket bucket)
    {
        if (_newest == bucket) _newest = null;
        if (_free.Count < MaxFreeBuckets) _free.Push(bucket);
    }

    private const int MaxFreeBuckets = 1024;
    private readonly List<(Bucket, RunKey)> _scratch = new();

    /// <summary>Heap order: due time, then the sequence number of the bucket's first run. A comparable struct lets the
    /// priority queue use its specialised default-comparer path.</summary>
    private readonly record struct RunKey(Instant Due, long Sequence) : IComparable<RunKey>
    {
        public int CompareTo(RunKey other)
        {
            int byDue = Due.CompareTo(other.Due);
            return byDue != 0 ? byDue : Sequence.CompareTo(other.Sequence);
        }
    }

    private void Compact()
    {
        var kept = _scratch;
        foreach (var (bucket, key) in _heap.UnorderedItems)
        {
            Count -= bucket.Count;
            bucket.DropSuperseded();
            Count += bucket.Count;
            if (bucket.Count > 0) kept.Add((bucket, key));
            else Retire(bucket);
        }
        if (kept.Count < _heap.Count)
        {
            _heap.Clear();
            _heap.EnqueueRange(kept);
        }
        kept.Clear();
        _compactAt = Math.Max(EventQueueCompactor<long>.MinimumSize, 2 * Count);
        Compactions++;
    }

    /// <summary>Queued runs that are still current (a scan, for tests and diagnostics).</summary>
    public int CountLive()
    {
        int live = 0;
        foreach (var (bucket, _) in _heap.UnorderedItems) live += bucket.CountLive();
        return live;
    }

    /// <summary>Runs due at one instant, in scheduling order: the first inline (most instants have one run), the rest
    /// in a queue made when a second arrives and kept for the bucket's next use.</summary>
    private sealed class Bucket
    {
        private (IScheduledAction Action, long Token) _first;
        private bool _hasFirst;
        private Queue<(IScheduledAction Action, long Token)>? _rest;

        public Instant Due;

        public int Count => (_hasFirst ? 1 : 0) + (_rest?.Count ?? 0);

        public (IScheduledAction Action, long Token) First => _hasFirst ? _first : _rest!.Peek();

        public void Add(IScheduledAction action, long token)
        {
            if (!_hasFirst && (_rest is null || _rest.Count == 0))
            {
                _first = (action, token);
                _hasFirst = true;
                return;
            }
            (_rest ??= new Queue<(IScheduledAction, long)>()).Enqueue((action, token));
        }

        public (IScheduledAction Action, long Token) Take()
        {
            if (_hasFirst)
            {
                var run = _first;
                _first = default;
                _hasFirst = false;
                return run;
            }
            return _rest!.Dequeue();
        }

        public void DropSuperseded()
        {
            if (_hasFirst && !_first.Action.IsCurrent(_first.Token))
            {
                _first = default;
                _hasFirst = false;
            }
            if (_rest is not { } rest) return;
            for (int n = rest.Count; n > 0; n--)
            {
                var run = rest.Dequeue();
                if (run.Action.IsCurrent(run.Token)) rest.Enqueue(run);
            }
            if (!_hasFirst && rest.Count > 0)
            {
                _first = rest.Dequeue();
                _hasFirst = true;
            }
        }

        public int CountLive()
        {
            int live = _hasFirst && _first.Action.IsCurrent(_first.Token) ? 1 : 0;
            if (_rest is { } rest)
                foreach (var run in rest)
                    if (run.Action.IsCurrent(run.Token)) live++;
            return live;
        }
    }
}
