using System.Buffers;
using System.Buffers.Binary;
using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Wire;

namespace Netstack.Network.Ipv6;

/// <summary>IPv6 reassembly (RFC 8200 §4.5) with bounded memory: fragments are keyed by source, destination and
/// Identification; the unfragmentable part comes from the first fragment; a fragment overlapping another discards
/// the whole packet, fragments still to come included (RFC 5722); an incomplete packet is dropped after 60 s with
/// Time Exceeded code 1 if its first fragment arrived. Exact duplicates are ignored.</summary>
public sealed class Ipv6Reassembler
{
    private readonly NetworkStack _stack;
    private readonly ReassemblyTable<FragmentKey, Ipv6Reassembly> _table;

    internal Ipv6Reassembler(NetworkStack stack)
    {
        _stack = stack;
        _table = new(stack, stack.Options.Ipv6, DropReason.Ipv6FragmentMemoryExhausted, () => new Ipv6Reassembly(this));
    }

    /// <summary>Packets currently being reassembled (or remembered as discarded until their timeout).</summary>
    public int ActiveCount => _table.Count;
    /// <summary>Bytes of reassembly buffers held, counted against <see cref="Ipv6Options.ReassemblyMemoryLimit"/>.</summary>
    public int BytesHeld => _table.Memory.BytesHeld;

    private readonly record struct FragmentKey(Ipv6Address Source, Ipv6Address Destination, uint Id);

    /// <summary>An IPv6 packet being reassembled: its buffer holds the fragmentable part; the unfragmentable part
    /// and fragment header of the first fragment are kept apart.</summary>
    private sealed class Ipv6Reassembly(Ipv6Reassembler owner) : Reassembly<FragmentKey>
    {
        public byte[] Header = [];     // unfragmentable part and fragment header of the first fragment
        public int NextHeaderField;     // where the unfragmentable part names the fragment header
        public bool Discarded;          // overlap seen: everything of this packet is dropped until the timeout
        public bool LinkMulticast;

        protected override void Expire() => owner.Expire(this);

        public override void ReleaseBuffers(ReassemblyMemory memory)
        {
            base.ReleaseBuffers(memory);
            memory.Return(ref Header);
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
        var r = _table.GetOrStart(key, iface, out bool started);
        if (r is null)
        {
            counters.Drop(DropReason.Ipv6FragmentMemoryExhausted);
            return;
        }
        if (started)
        {
            r.Discarded = false;
            r.LinkMulticast = linkMulticast;
        }
        if (r.Discarded)
        {
            counters.Drop(DropReason.Ipv6FragmentOverlap); // RFC 5722: the rest of a discarded packet goes too
            return;
        }

        if (r.ContradictsLength(end, last))
        {
            counters.Drop(DropReason.Ipv6FragmentInconsistent);
            _table.Discard(r);
            return;
        }
        switch (r.Place(start, end, out int insertAt))
        {
            case FragmentPlacement.Duplicate:
                counters.Drop(DropReason.Ipv6FragmentDuplicate);
                return;
            case FragmentPlacement.Overlap:
                counters.Drop(DropReason.Ipv6FragmentOverlap);
                r.ReleaseBuffers(_table.Memory);
                r.Discarded = true;
                return;
        }
        var memory = _table.Memory;
        if (!memory.TryGrow(ref r.Buffer, end, Ipv6Packet.MaxPayloadLength) ||
            (start == 0 && !memory.TryGrow(ref r.Header, fragmentHeaderOffset + Ipv6FragmentHeader.Length,
                Ipv6Packet.MaxPayloadLength)))
        {
            counters.Drop(DropReason.Ipv6FragmentMemoryExhausted);
            _table.Discard(r);
            return;
        }
        data.CopyTo(r.Buffer.AsSpan(start));
        r.Ranges.Insert(insertAt, (start, end));
        if (last) r.TotalPayload = end;
        if (start == 0)
        {
            r.HeaderLength = fragmentHeaderOffset;
            r.NextHeaderField = nextHeaderField;
            datagram[..(fragmentHeaderOffset + Ipv6FragmentHeader.Length)].CopyTo(r.Header);
        }
        counters.Ipv6FragmentsQueued++;
        if (!r.IsComplete) return;

        // The unfragmentable part of the first fragment, its Next Header naming what the fragment header named,
        // then the fragmentable part (RFC 8200 §4.5 "reassembly").
        int headerLength = r.HeaderLength, total = r.TotalPayload;
        var whole = ArrayPool<byte>.Shared.Rent(headerLength + total);
        try
        {
            var span = whole.AsSpan(0, headerLength + total);
            r.Header.AsSpan(0, headerLength).CopyTo(span);
            span[r.NextHeaderField] = r.Header[headerLength]; // the fragment header's Next Header
            r.Buffer.AsSpan(0, total).CopyTo(span[headerLength..]);
            BinaryPrimitives.WriteUInt16BigEndian(span[4..], (ushort)(headerLength - Ipv6Packet.HeaderLength + total));
            var nextHeader = (IpProtocol)r.Header[headerLength];
            int nextHeaderFieldOfPayload = r.NextHeaderField;
            var arrivedOn = r.Interface ?? iface;
            bool multicast = r.LinkMulticast;
            _table.Discard(r);
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

    private void Expire(Ipv6Reassembly r)
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
                    r.Buffer.AsSpan(0, data).CopyTo(quote.AsSpan(headerAndFragment));
                    _stack.Ipv6.Icmp.SendError(quote.AsSpan(0, headerAndFragment + data), Icmpv6Type.TimeExceeded, 1, 0, r.LinkMulticast);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(quote);
                }
            }
        }
        _table.Discard(r);
    }
}
