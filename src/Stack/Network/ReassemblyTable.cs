using Netstack.Diagnostics;
using Netstack.Link;

namespace Netstack.Network;

/// <summary>The datagrams one IP family is reassembling, with bounded memory: at most a number of them at once (when
/// full, the oldest makes way, so a flood of fragments that never complete cannot lock out legitimate reassembly
/// until its timeout), their buffers charged against a byte limit, each dropped when its timeout fires. What a
/// fragment means (keys, overlap rules, the rebuilt header) stays with the family.</summary>
/// <param name="stack">Schedules the timeouts and counts the datagrams evicted to make room.</param>
/// <param name="limits">Datagrams at once, bytes of buffers and time to complete.</param>
/// <param name="evicted">The drop reason of a datagram evicted to make room.</param>
/// <param name="create">Makes a reassembly when none is free for reuse.</param>
internal sealed class ReassemblyTable<TKey, TReassembly>(NetworkStack stack, IReassemblyLimits limits,
    DropReason evicted, Func<TReassembly> create)
    where TKey : struct, IEquatable<TKey>
    where TReassembly : Reassembly<TKey>
{
    // Made at the first fragment: most hosts never reassemble, and an idle host does not pay for them.
    private Dictionary<TKey, TReassembly>? _active;
    private Stack<TReassembly>? _free;
    /// <summary>Reassemblies in creation order; entries whose generation moved on are stale.</summary>
    private Queue<(TReassembly Reassembly, long Generation)>? _arrivalOrder;

    /// <summary>The buffers of the datagrams held.</summary>
    public ReassemblyMemory Memory { get; } = new(limits.ReassemblyMemoryLimit);

    /// <summary>Datagrams held.</summary>
    public int Count => _active?.Count ?? 0;

    /// <summary>The datagram under <paramref name="key"/>; when none is held, a new one arrived on
    /// <paramref name="iface"/> with its timeout scheduled, the oldest evicted when full. Null when full and nothing
    /// could be evicted. <paramref name="started"/> says whether it is new.</summary>
    public TReassembly? GetOrStart(TKey key, NetworkInterface iface, out bool started)
    {
        started = false;
        _active ??= new();
        if (_active.TryGetValue(key, out var held)) return held;
        if (_active.Count >= limits.MaxReassemblies && !EvictOldest()) return null;
        var r = _free?.Count > 0 ? _free.Pop() : create();
        r.Key = key;
        r.HeaderLength = 0;
        r.TotalPayload = -1;
        r.Ranges.Clear();
        r.Interface = iface;
        _active.Add(key, r);
        r.Generation++;
        (_arrivalOrder ??= new()).Enqueue((r, r.Generation));
        if (_arrivalOrder.Count > 4 * limits.MaxReassemblies) DropStaleArrivals();
        stack.Scheduler.Schedule(stack.Scheduler.Now + limits.ReassemblyTimeout, r, r.Generation);
        started = true;
        return r;
    }

    /// <summary>Forgets <paramref name="r"/> and releases it.</summary>
    public void Discard(TReassembly r)
    {
        Remove(r);
        Release(r);
    }

    /// <summary>Forgets <paramref name="r"/> but keeps its buffers until <see cref="Release"/>, e.g. while the
    /// datagram rebuilt in them is delivered.</summary>
    public void Remove(TReassembly r) => _active!.Remove(r.Key);

    /// <summary>Cancels the timeout of <paramref name="r"/>, returns its buffers and keeps it for reuse.</summary>
    public void Release(TReassembly r)
    {
        r.Generation++; // invalidates the pending timeout
        r.ReleaseBuffers(Memory);
        r.Interface = null;
        (_free ??= new()).Push(r);
    }

    private bool IsHeld((TReassembly Reassembly, long Generation) entry) =>
        entry.Reassembly.Generation == entry.Generation
        && _active!.TryGetValue(entry.Reassembly.Key, out var held) && held == entry.Reassembly;

    /// <summary>Keeps the arrival queue proportional to the live reassemblies: completed and expired
    /// ones leave stale entries behind.</summary>
    private void DropStaleArrivals()
    {
        int n = _arrivalOrder!.Count;
        for (int i = 0; i < n; i++)
        {
            var entry = _arrivalOrder!.Dequeue();
            if (IsHeld(entry)) _arrivalOrder.Enqueue(entry);
        }
    }

    private bool EvictOldest()
    {
        while (_arrivalOrder is not null && _arrivalOrder.TryDequeue(out var oldest))
        {
            if (!IsHeld(oldest)) continue;
            stack.Counters.Drop(evicted);
            Discard(oldest.Reassembly);
            return true;
        }
        return false;
    }
}
