using System.Buffers;
using System.Buffers.Binary;
using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Network.Ipv6;

/// <summary>IPv6 reassembly (RFC 8200 §4.5) with bounded memory: fragments are keyed by source, destination and
/// Identification; the unfragmentable part comes from the first fragment; a fragment overlapping another discards
/// the whole packet, fragments still to come included (RFC 5722); an incomplete packet is dropped after 60 s with
/// Time Exceeded code 1 if its first fragment arrived. Exact duplicates are ignored.</summary>
public sealed class Ipv6Reassembler
{
    private readonly NetworkStack _stack;
    private readonly Ipv6Options _options;
    private readonly Dictionary<FragmentKey, Reassembly> _active = new();
    private readonly Queue<(Reassembly Reassembly, long Generation)> _arrivalOrder = new();
    private int _bytesHeld;

    internal Ipv6Reassembler(NetworkStack stack)
    {
        _stack = stack;
        _options = stack.Options.Ipv6;
    }

    /// <summary>Packets currently being reassembled (or remembered as discarded until their timeout).</summary>
    public int ActiveCount => _active.Count;
    /// <summary>Bytes of reassembly buffers held, counted against <see cref="Ipv6Options.ReassemblyMemoryLimit"/>.</summary>
    public int BytesHeld => _bytesHeld;

    private readonly record struct FragmentKey(Ipv6Address Source, Ipv6Address Destination, uint Id);

    private sealed class Reassembly : IScheduledAction
    {
        public FragmentKey Key;
        public byte[] Data = [];
        public byte[] Header = [];     // unfragmentable part and fragment header of the first fragment
        public int HeaderLength;        // unfragmentable part; 0 until the first fragment arrived
        public int NextHeaderField;     // where the unfragmentable part names the fragment header
        public int TotalPayload = -1;   // known once the last fragment arrived
        public bool Discarded;          // overlap seen: everything of this packet is dropped until the timeout
        public bool LinkMulticast;
        public readonly List<(int Start, int End)> Ranges = new();
        public long Generation;
        public NetworkInterface? Interface;
        public Ipv6Reassembler? Owner;

        public bool IsCurrent(long token) => token == Generation;
        public void Run(long token)
        {
            if (token == Generation) Owner!.Expire(this);
        }
    }

    /// <summary>Adds the fragment in <paramref name="datagram"/> whose fragment header is at
    /// <paramref name="fragmentHeaderOffset"/>; hands the whole packet to IPv6's header walk when complete.</summary>
    internal void Add(ReadOnlySpan<byte> datagram, int fragmentHeaderOffset, int nextHeaderField, NetworkInterface iface,
        bool linkMulticast)
    {
        var counters = _stack.Counters;
        var header = new Ipv6FragmentHeader(datagram[fragmentHeaderOffset..]);
        var data = datagram[(fragmentHeaderOffset + Ipv6FragmentHeader.Length)..];
        int start = header.FragmentOffset, end = start + data.Length;
        bool last = !header.MoreFragments;
        var icmp = _stack.Ipv6.Icmp;

        if (!last && (data.Length == 0 || (data.Length & 7) != 0))
        {
            counters.Drop(DropReason.Ipv6FragmentInconsistent);
            icmp.SendError(datagram, Icmpv6Type.ParameterProblem, (byte)Icmpv6ParameterProblemCode.ErroneousHeaderField, 4, linkMulticast);
            return;
        }
        if (end > Ipv6Packet.MaxPayloadLength)
        {
            counters.Drop(DropReason.Ipv6FragmentTooLarge);
            icmp.SendError(datagram, Icmpv6Type.ParameterProblem, (byte)Icmpv6ParameterProblemCode.ErroneousHeaderField,
                (uint)(fragmentHeaderOffset + 2), linkMulticast);
            return;
        }

        var packet = new Ipv6Packet(datagram);
        var key = new FragmentKey(packet.Source, packet.Destination, header.Identification);
        if (!_active.TryGetValue(key, out var r))
        {
            if (_active.Count >= _options.MaxReassemblies && !EvictOldest())
            {
                counters.Drop(DropReason.Ipv6FragmentMemoryExhausted);
                return;
            }
            r = new Reassembly { Owner = this, Key = key, Interface = iface, LinkMulticast = linkMulticast };
            _active.Add(key, r);
            _arrivalOrder.Enqueue((r, r.Generation));
            if (_arrivalOrder.Count > 4 * _options.MaxReassemblies) DropStaleArrivals();
            _stack.Scheduler.Schedule(_stack.Scheduler.Now + _options.ReassemblyTimeout, r, r.Generation);
        }
        if (r.Discarded)
        {
            counters.Drop(DropReason.Ipv6FragmentOverlap); // RFC 5722: the rest of a discarded packet goes too
            return;
        }

        if ((last && r.TotalPayload >= 0 && r.TotalPayload != end) ||
            (r.TotalPayload >= 0 && end > r.TotalPayload) ||
            (last && r.Ranges.Count > 0 && r.Ranges[^1].End > end))
        {
            counters.Drop(DropReason.Ipv6FragmentInconsistent);
            Discard(r);
            return;
        }
        int insertAt = 0;
        foreach (var (s, e) in r.Ranges)
        {
            if (s == start && e == end)
            {
                counters.Drop(DropReason.Ipv6FragmentDuplicate);
                return;
            }
            if (start < e && s < end)
            {
                counters.Drop(DropReason.Ipv6FragmentOverlap);
                ReleaseBuffers(r);
                r.Discarded = true;
                return;
            }
            if (s < start) insertAt++;
        }
        if (!EnsureCapacity(ref r.Data, end) ||
            (start == 0 && !EnsureCapacity(ref r.Header, fragmentHeaderOffset + Ipv6FragmentHeader.Length)))
        {
            counters.Drop(DropReason.Ipv6FragmentMemoryExhausted);
            Discard(r);
            return;
        }
        data.CopyTo(r.Data.AsSpan(start));
        r.Ranges.Insert(insertAt, (start, end));
        if (last) r.TotalPayload = end;
        if (start == 0)
        {
            r.HeaderLength = fragmentHeaderOffset;
            r.NextHeaderField = nextHeaderField;
            datagram[..(fragmentHeaderOffset + Ipv6FragmentHeader.Length)].CopyTo(r.Header);
        }
        counters.Ipv6FragmentsQueued++;
        if (!IsComplete(r)) return;

        // The unfragmentable part of the first fragment, its Next Header naming what the fragment header named,
        // then the fragmentable part (RFC 8200 §4.5 "reassembly").
        int headerLength = r.HeaderLength, total = r.TotalPayload;
        var whole = ArrayPool<byte>.Shared.Rent(headerLength + total);
        try
        {
            var span = whole.AsSpan(0, headerLength + total);
            r.Header.AsSpan(0, headerLength).CopyTo(span);
            span[r.NextHeaderField] = r.Header[headerLength]; // the fragment header's Next Header
            r.Data.AsSpan(0, total).CopyTo(span[headerLength..]);
            BinaryPrimitives.WriteUInt16BigEndian(span[4..], (ushort)(headerLength - Ipv6Packet.HeaderLength + total));
            var nextHeader = (IpProtocol)r.Header[headerLength];
            int nextHeaderFieldOfPayload = r.NextHeaderField;
            var arrivedOn = r.Interface ?? iface;
            bool multicast = r.LinkMulticast;
            Discard(r);
            counters.Ipv6DatagramsReassembled++;
            if (headerLength + total - Ipv6Packet.HeaderLength > Ipv6Packet.MaxPayloadLength)
            {
                counters.Drop(DropReason.Ipv6FragmentTooLarge);
                return;
            }
            _stack.Ipv6.Process(span, headerLength, nextHeader, nextHeaderFieldOfPayload, arrivedOn, false, multicast);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(whole);
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

    private bool EnsureCapacity(ref byte[] buffer, int needed)
    {
        if (buffer.Length >= needed) return true;
        int size = Math.Max(needed, Math.Min(buffer.Length * 2, Ipv6Packet.MaxPayloadLength));
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        if (_bytesHeld + bigger.Length - buffer.Length > _options.ReassemblyMemoryLimit)
        {
            ArrayPool<byte>.Shared.Return(bigger);
            return false;
        }
        buffer.AsSpan().CopyTo(bigger);
        _bytesHeld += bigger.Length - buffer.Length;
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
        buffer = bigger;
        return true;
    }

    private void DropStaleArrivals()
    {
        int n = _arrivalOrder.Count;
        for (int i = 0; i < n; i++)
        {
            var entry = _arrivalOrder.Dequeue();
            if (entry.Reassembly.Generation == entry.Generation && _active.ContainsKey(entry.Reassembly.Key))
                _arrivalOrder.Enqueue(entry);
        }
    }

    private bool EvictOldest()
    {
        while (_arrivalOrder.TryDequeue(out var oldest))
        {
            if (oldest.Reassembly.Generation != oldest.Generation || !_active.ContainsKey(oldest.Reassembly.Key)) continue;
            _stack.Counters.Drop(DropReason.Ipv6FragmentMemoryExhausted);
            Discard(oldest.Reassembly);
            return true;
        }
        return false;
    }

    private void Expire(Reassembly r)
    {
        if (!r.Discarded)
        {
            _stack.Counters.Drop(DropReason.Ipv6FragmentTimeout);
            // RFC 8200 §4.5: Time Exceeded code 1 to the source, only if the first fragment arrived; it quotes that
            // fragment.
            if (r.HeaderLength > 0)
            {
                int headerAndFragment = r.HeaderLength + Ipv6FragmentHeader.Length;
                int data = r.Ranges[0].End;
                var quote = ArrayPool<byte>.Shared.Rent(headerAndFragment + data);
                try
                {
                    r.Header.AsSpan(0, headerAndFragment).CopyTo(quote);
                    r.Data.AsSpan(0, data).CopyTo(quote.AsSpan(headerAndFragment));
                    _stack.Ipv6.Icmp.SendError(quote.AsSpan(0, headerAndFragment + data), Icmpv6Type.TimeExceeded, 1, 0, r.LinkMulticast);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(quote);
                }
            }
        }
        Discard(r);
    }

    private void Discard(Reassembly r)
    {
        _active.Remove(r.Key);
        r.Generation++; // invalidates the pending timeout
        ReleaseBuffers(r);
        r.Interface = null;
    }

    private void ReleaseBuffers(Reassembly r)
    {
        Release(ref r.Data);
        Release(ref r.Header);
        r.Ranges.Clear();
    }

    private void Release(ref byte[] buffer)
    {
        if (buffer.Length == 0) return;
        _bytesHeld -= buffer.Length;
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
    }
}
