using Netstack.Time;

namespace Netstack.Drivers.Loops;

/// <summary>Drops superseded runs (cancelled or re-armed timers) from an event loop's queue. Left in place they
/// would stay until their due time, and with them whatever the action references: a connection closed in the last
/// minute would hold its memory for as long as its longest timer (issue 18). Compacting whenever the queue has
/// doubled since the last compaction keeps it within twice the live runs (plus a floor) at amortised O(1) per
/// schedule, without allocating once the scratch buffer has grown. Order is kept: priorities are unique.</summary>
internal sealed class EventQueueCompactor<TPriority>
{
    /// <summary>Below this many queued runs compaction is not worth a scan.</summary>
    public const int MinimumSize = 256;

    private readonly List<((IScheduledAction Action, long Token) Element, TPriority Priority)> _scratch = new();
    private int _compactAt = MinimumSize;

    public long Compactions { get; private set; }

    /// <summary>Called after every enqueue: a comparison, inlined into the loop's Schedule; the scan is out of line.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void AfterEnqueue(PriorityQueue<(IScheduledAction Action, long Token), TPriority> queue)
    {
        if (queue.Count > _compactAt) Compact(queue);
    }

    private void Compact(PriorityQueue<(IScheduledAction Action, long Token), TPriority> queue)
    {
        foreach (var item in queue.UnorderedItems)
            if (item.Element.Action.IsCurrent(item.Element.Token)) _scratch.Add(item);
        if (_scratch.Count < queue.Count)
        {
            queue.Clear();
            queue.EnqueueRange(_scratch);
        }
        _scratch.Clear();
        _compactAt = Math.Max(MinimumSize, 2 * queue.Count);
        Compactions++;
    }

    public static int CountLive(PriorityQueue<(IScheduledAction Action, long Token), TPriority> queue)
    {
        int live = 0;
        foreach (var item in queue.UnorderedItems)
            if (item.Element.Action.IsCurrent(item.Element.Token)) live++;
        return live;
    }
}
