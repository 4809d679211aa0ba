using System.Buffers;
using System.Buffers.Binary;
using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Network;

/// <summary>IPv4 reassembly (RFC 791 §3.2, RFC 815 hole tracking) with bounded memory and a timeout.
/// Overlapping fragments discard the whole datagram (as RFC 5722 does for IPv6): overlaps are how
/// fragment attacks work and no honest sender produces them. Exact duplicates are ignored.</summary>
public sealed class FragmentReassembler
{
    /// <summary>The payload starts here in a reassembly buffer, leaving room for the largest header.</summary>
    private const int PayloadOffset = 60;

    private readonly NetworkStack _stack;
    private readonly Ipv4Options _options;
    private readonly Dictionary<FragmentKey, Reassembly> _active = new();
    private readonly Stack<Reassembly> _free = new();
    /// <summary>Reassemblies in creation order; entries whose generation moved on are stale.</summary>
    private readonly Queue<(Reassembly Reassembly, long Generation)> _arrivalOrder = new();
    private int _bytesHeld;

    internal FragmentReassembler(NetworkStack stack)
    {
        _stack = stack;
        _options = stack.Options.Ipv4;
    }

    /// <summary>Datagrams currently being reassembled.</summary>
    public int ActiveCount => _active.Count;
    /// <summary>Bytes of reassembly buffers currently held, counted against
    /// <see cref="Ipv4Options.ReassemblyMemoryLimit"/>.</summary>
    public int BytesHeld => _bytesHeld;

    private readonly record struct FragmentKey(Ipv4Address Source, Ipv4Address Destination, IpProtocol Protocol, ushort Id);

    private sealed class Reassembly : IScheduledAction
    {
        public FragmentKey Key;
        public byte[] Buffer = [];
        public int HeaderLength;       // 0 until the first fragment arrived
        public int TotalPayload = -1;  // known once the last fragment arrived
        public readonly List<(int Start, int End)> Ranges = new();
        public long Generation;
        public NetworkInterface? Interface;
        public FragmentReassembler? Owner;

        public bool IsCurrent(long token) => token == Generation;

        public void Run(long token)
        {
            if (token == Generation) Owner!.Expire(this);
        }
    }

    /// <summary>Adds one fragment. Hands the whole datagram to IPv4's local delivery when complete.</summary>
    public void Add(Ipv4Packet fragment, NetworkInterface iface)
    {
        var counters = _stack.Counters;
        var key = new FragmentKey(fragment.Source, fragment.Destination, fragment.Protocol, fragment.Identification);
        var payload = fragment.Payload;
        int start = fragment.FragmentOffset, end = start + payload.Length;
        bool last = !fragment.MoreFragments;

        if (!last && (payload.Length == 0 || (payload.Length & 7) != 0))
        {
            counters.Drop(DropReason.FragmentInconsistent);
            return;
        }

        if (!_active.TryGetValue(key, out var r))
        {
            // Full: the oldest incomplete datagram makes way, so a flood of fragments that never
            // complete cannot lock out legitimate reassembly until its timeout.
            if (_active.Count >= _options.MaxReassemblies && !EvictOldest())
            {
                counters.Drop(DropReason.FragmentMemoryExhausted);
                return;
            }
            r = _free.Count > 0 ? _free.Pop() : new Reassembly { Owner = this };
            r.Key = key;
            r.HeaderLength = 0;
            r.TotalPayload = -1;
            r.Ranges.Clear();
            r.Interface = iface;
            _active.Add(key, r);
            r.Generation++;
            _arrivalOrder.Enqueue((r, r.Generation));
            if (_arrivalOrder.Count > 4 * _options.MaxReassemblies) DropStaleArrivals();
            _stack.Scheduler.Schedule(_stack.Scheduler.Now + _options.ReassemblyTimeout, r, r.Generation);
        }

        if ((last && r.TotalPayload >= 0 && r.TotalPayload != end) ||
            (r.TotalPayload >= 0 && end > r.TotalPayload) ||
            (last && r.Ranges.Count > 0 && r.Ranges[^1].End > end))
        {
            counters.Drop(DropReason.FragmentInconsistent);
            Discard(r);
            return;
        }

        // RFC 791: header plus payload fit in 16 bits. Each fragment passed that on its own, but the first one's
        // options and the furthest end only meet here, in whichever order they arrive.
        int headerLength = start == 0 ? fragment.HeaderLength : r.HeaderLength;
        int furthest = Math.Max(end, r.Ranges.Count > 0 ? r.Ranges[^1].End : 0);
        if (headerLength > 0 && headerLength + furthest > Ipv4Packet.MaxTotalLength)
        {
            counters.Drop(DropReason.FragmentDatagramTooLarge);
            Discard(r);
            return;
        }

        int insertAt = 0;
        foreach (var (s, e) in r.Ranges)
        {
            if (s == start && e == end)
            {
                counters.Drop(DropReason.FragmentDuplicate); // nothing new: the copy we have stands
                return;
            }
            if (start < e && s < end)
            {
                counters.Drop(DropReason.FragmentOverlap);
                Discard(r);
                return;
            }
            if (s < start) insertAt++;
        }

        if (!EnsureCapacity(r, PayloadOffset + end))
        {
            counters.Drop(DropReason.FragmentMemoryExhausted);
            Discard(r);
            return;
        }
        payload.CopyTo(r.Buffer.AsSpan(PayloadOffset + start));
        r.Ranges.Insert(insertAt, (start, end));
        if (last) r.TotalPayload = end;
        if (start == 0)
        {
            r.HeaderLength = fragment.HeaderLength;
            fragment.Header.CopyTo(r.Buffer.AsSpan(PayloadOffset - r.HeaderLength));
        }

        counters.FragmentsQueued++;
        if (!IsComplete(r)) return;

        // Rewrite the first fragment's header to describe the whole datagram.
        var datagram = r.Buffer.AsSpan(PayloadOffset - r.HeaderLength, r.HeaderLength + r.TotalPayload);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[2..], (ushort)datagram.Length);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[6..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(datagram[6..]) & 0x4000));
        datagram[10] = 0;
        datagram[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(datagram[10..], Checksum.Compute(datagram[..r.HeaderLength]));
        counters.DatagramsReassembled++;
        _active.Remove(r.Key);
        try
        {
            _stack.Ipv4.DeliverLocal(new Ipv4Packet(datagram), iface);
        }
        finally
        {
            Release(r);
        }
    }

    private static bool IsComplete(Reassembly r)
    {
        if (r.TotalPayload < 0 || r.HeaderLength == 0) return false;
        int covered = 0;
        foreach (var (s, e) in r.Ranges)
        {
            if (s != covered) return false;
            covered = e;
        }
        return covered == r.TotalPayload;
    }

    private bool EnsureCapacity(Reassembly r, int needed)
    {
        if (r.Buffer.Length >= needed) return true;
        int size = Math.Max(needed, Math.Min(r.Buffer.Length * 2, PayloadOffset + Ipv4Packet.MaxTotalLength));
        // Charge what the pool really hands out (it rounds up), so the limit holds exactly.
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        if (_bytesHeld + bigger.Length - r.Buffer.Length > _options.ReassemblyMemoryLimit)
        {
            ArrayPool<byte>.Shared.Return(bigger);
            return false;
        }
        r.Buffer.AsSpan().CopyTo(bigger);
        _bytesHeld += bigger.Length - r.Buffer.Length;
        if (r.Buffer.Length > 0) ArrayPool<byte>.Shared.Return(r.Buffer);
        r.Buffer = bigger;
        return true;
    }

    /// <summary>Keeps the arrival queue proportional to the live reassemblies: completed and expired
    /// ones leave stale entries behind.</summary>
    private void DropStaleArrivals()
    {
        int n = _arrivalOrder.Count;
        for (int i = 0; i < n; i++)
        {
            var entry = _arrivalOrder.Dequeue();
            if (entry.Reassembly.Generation == entry.Generation) _arrivalOrder.Enqueue(entry);
        }
    }

    private bool EvictOldest()
    {
        while (_arrivalOrder.TryDequeue(out var oldest))
        {
            if (oldest.Reassembly.Generation != oldest.Generation) continue;
            _stack.Counters.Drop(DropReason.FragmentMemoryExhausted);
            Discard(oldest.Reassembly);
            return true;
        }
        return false;
    }

    private void Expire(Reassembly r)
    {
        _stack.Counters.Drop(DropReason.FragmentTimeout);
        // RFC 792: Time Exceeded code 1, but only if the first fragment (with the header) arrived.
        if (r.HeaderLength > 0)
        {
            var header = r.Buffer.AsSpan(PayloadOffset - r.HeaderLength, r.HeaderLength + Math.Min(8, r.Ranges[0].End));
            _stack.Icmp.SendErrorAboutHeader(header, IcmpType.TimeExceeded, 1);
        }
        Discard(r);
    }

    private void Discard(Reassembly r)
    {
        _active.Remove(r.Key);
        Release(r);
    }

    private void Release(Reassembly r)
    {
        r.Generation++; // invalidates the pending timeout
        if (r.Buffer.Length > 0)
        {
            _bytesHeld -= r.Buffer.Length;
            ArrayPool<byte>.Shared.Return(r.Buffer);
            r.Buffer = [];
        }
        r.Interface = null;
        _free.Push(r);
    }
}
