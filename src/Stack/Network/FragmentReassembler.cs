using System.Buffers.Binary;
using Netstack.Diagnostics;
using Netstack.Link;
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
    private readonly ReassemblyTable<FragmentKey, Ipv4Reassembly> _table;

    internal FragmentReassembler(NetworkStack stack)
    {
        _stack = stack;
        _table = new(stack, stack.Options.Ipv4, DropReason.FragmentMemoryExhausted, () => new Ipv4Reassembly(this));
    }

    /// <summary>Datagrams currently being reassembled.</summary>
    public int ActiveCount => _table.Count;
    /// <summary>Bytes of reassembly buffers currently held, counted against
    /// <see cref="Ipv4Options.ReassemblyMemoryLimit"/>.</summary>
    public int BytesHeld => _table.Memory.BytesHeld;

    private readonly record struct FragmentKey(Ipv4Address Source, Ipv4Address Destination, IpProtocol Protocol, ushort Id);

    /// <summary>An IPv4 datagram being reassembled: its buffer holds the first fragment's header right before the
    /// payload, so the whole datagram is delivered from it without a copy.</summary>
    private sealed class Ipv4Reassembly(FragmentReassembler owner) : Reassembly<FragmentKey>
    {
        protected override void Expire() => owner.Expire(this);
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

        var r = _table.GetOrStart(key, iface, out _);
        if (r is null)
        {
            counters.Drop(DropReason.FragmentMemoryExhausted);
            return;
        }

        if (r.ContradictsLength(end, last))
        {
            counters.Drop(DropReason.FragmentInconsistent);
            _table.Discard(r);
            return;
        }

        // RFC 791: header plus payload fit in 16 bits. Each fragment passed that on its own, but the first one's
        // options and the furthest end only meet here, in whichever order they arrive.
        int headerLength = start == 0 ? fragment.HeaderLength : r.HeaderLength;
        int furthest = Math.Max(end, r.Ranges.Count > 0 ? r.Ranges[^1].End : 0);
        if (headerLength > 0 && headerLength + furthest > Ipv4Packet.MaxTotalLength)
        {
            counters.Drop(DropReason.FragmentDatagramTooLarge);
            _table.Discard(r);
            return;
        }

        switch (r.Place(start, end, out int insertAt))
        {
            case FragmentPlacement.Duplicate:
                counters.Drop(DropReason.FragmentDuplicate); // nothing new: the copy we have stands
                return;
            case FragmentPlacement.Overlap:
                counters.Drop(DropReason.FragmentOverlap);
                _table.Discard(r);
                return;
        }

        if (!_table.Memory.TryGrow(ref r.Buffer, PayloadOffset + end, PayloadOffset + Ipv4Packet.MaxTotalLength))
        {
            counters.Drop(DropReason.FragmentMemoryExhausted);
            _table.Discard(r);
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
        if (!r.IsComplete) return;

        // Rewrite the first fragment's header to describe the whole datagram.
        var datagram = r.Buffer.AsSpan(PayloadOffset - r.HeaderLength, r.HeaderLength + r.TotalPayload);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[2..], (ushort)datagram.Length);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[6..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(datagram[6..]) & 0x4000));
        datagram[10] = 0;
        datagram[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(datagram[10..], Checksum.Compute(datagram[..r.HeaderLength]));
        counters.DatagramsReassembled++;
        _table.Remove(r);
        try
        {
            _stack.Ipv4.DeliverLocal(new Ipv4Packet(datagram), iface);
        }
        finally
        {
            _table.Release(r);
        }
    }

    private void Expire(Ipv4Reassembly r)
    {
        _stack.Counters.Drop(DropReason.FragmentTimeout);
        // RFC 792: Time Exceeded code 1, but only if the first fragment (with the header) arrived.
        if (r.HeaderLength > 0)
        {
            var header = r.Buffer.AsSpan(PayloadOffset - r.HeaderLength, r.HeaderLength + Math.Min(8, r.Ranges[0].End));
            _stack.Icmp.SendErrorAboutHeader(header, IcmpType.TimeExceeded, 1);
        }
        _table.Discard(r);
    }
}
