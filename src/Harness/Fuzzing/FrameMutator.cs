using System.Buffers.Binary;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Fuzzing;

/// <summary>The kinds of damage the fuzzer does to a frame.</summary>
public enum Mutation
{
    BitFlips,
    Truncate,
    EdgeValueField,
    LyingOptions,
    OverlappingFragments,
    OversizedFragment,
    Garbage,
    /// <summary>A whole datagram near the 65,535-byte limit as ~45 fragments, the first with IP options.</summary>
    FragmentTrainNearLimit,
    /// <summary>An IPv6 packet behind a random chain of extension headers (see <see cref="Ipv6Mutations"/>).</summary>
    Ipv6ExtensionChain,
    /// <summary>Hundreds of IPv6 fragments: many datagrams at once, overlaps, tiny first fragments, past 64 KiB.</summary>
    Ipv6FragmentFlood,
    /// <summary>Hundreds of valid Neighbor Discovery messages or echo requests from as many sources or routers.</summary>
    NeighborFlood,
}

/// <summary>Seeded structure-aware mutations of Ethernet/IPv4 and IPv6 frames. Most mutants get their checksums
/// repaired afterwards, so they reach the deeper parsers instead of all dying at the first checksum.</summary>
public sealed class FrameMutator(IRandomSource random)
{
    private static readonly Mutation[] Kinds = Enum.GetValues<Mutation>();
    /// <summary>Mutations that yield a burst of frames (tens to thousands).</summary>
    private static readonly Mutation[] Bursts = [Mutation.FragmentTrainNearLimit, Mutation.Ipv6FragmentFlood, Mutation.NeighborFlood];
    private static readonly Mutation[] SingleFrameKinds = Kinds.Except(Bursts).ToArray();
    private Ipv6Mutations? _ipv6;
    private static readonly ushort[] EdgeValues = [0, 1, 2, 7, 8, 19, 20, 21, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF];

    /// <summary>One or more mutants of <paramref name="seed"/> (fragment mutations yield several frames).</summary>
    public IEnumerable<(Mutation Kind, byte[] Frame)> Mutate(byte[] seed)
    {
        var kind = Kinds[random.NextInt(Kinds.Length)];
        // A burst is tens to thousands of frames: kept 1 time in 16 (1 in 256 for the floods of hundreds), else
        // re-drawn among the single-frame kinds, so bursts do not crowd out the single-frame mutations.
        if (Array.IndexOf(Bursts, kind) >= 0 &&
            random.NextInt(kind == Mutation.FragmentTrainNearLimit ? 16 : 256) != 0)
            kind = SingleFrameKinds[random.NextInt(SingleFrameKinds.Length)];
        switch (kind)
        {
            case Mutation.Ipv6ExtensionChain:
                yield return (kind, (_ipv6 ??= new(random)).ExtensionChain(seed));
                yield break;
            case Mutation.Ipv6FragmentFlood:
                foreach (var f in (_ipv6 ??= new(random)).FragmentFlood(seed)) yield return (kind, f);
                yield break;
            case Mutation.NeighborFlood:
                foreach (var f in (_ipv6 ??= new(random)).NeighborFlood()) yield return (kind, f);
                yield break;
            case Mutation.OverlappingFragments:
                foreach (var f in OverlappingFragments(seed)) yield return (kind, f);
                yield break;
            case Mutation.OversizedFragment:
                yield return (kind, OversizedFragment(seed));
                yield break;
            case Mutation.FragmentTrainNearLimit:
                foreach (var f in FragmentTrainNearLimit(seed)) yield return (kind, f);
                yield break;
        }
        var frame = (byte[])seed.Clone();
        switch (kind)
        {
            case Mutation.BitFlips:
                int flips = 1 + random.NextInt(4);
                for (int i = 0; i < flips && frame.Length > 0; i++)
                    frame[random.NextInt(frame.Length)] ^= (byte)(1 << random.NextInt(8));
                break;
            case Mutation.Truncate:
                frame = frame[..random.NextInt(frame.Length + 1)];
                break;
            case Mutation.EdgeValueField:
                SetEdgeField(frame);
                break;
            case Mutation.LyingOptions:
                LieInOptions(frame);
                break;
            case Mutation.Garbage:
                frame = new byte[random.NextInt(1600)];
                for (int i = 0; i < frame.Length; i++) frame[i] = (byte)random.NextUInt64();
                if (frame.Length >= 14 && seed.Length >= 14) seed.AsSpan(0, 14).CopyTo(frame); // keep it addressed to the victim
                break;
        }
        if (random.NextInt(10) < 7) RepairChecksums(frame);
        yield return (kind, frame);
    }

    private static int IpStart => EthernetFrame.HeaderLength;

    private static bool IsIpv4(byte[] f) =>
        f.Length >= IpStart + 20 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == (ushort)EtherType.Ipv4;

    private void SetEdgeField(byte[] f)
    {
        if (!IsIpv4(f))
        {
            if (f.Length >= 2) BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(random.NextInt(f.Length - 1)), EdgeValue());
            return;
        }
        int ihl = (f[IpStart] & 0xF) * 4;
        int l4 = IpStart + Math.Max(ihl, 20);
        // Offsets of the length/offset fields that parsers trust: IHL, total length, fragment offset,
        // and the transport header's length or data-offset field.
        int[] candidates = [IpStart, IpStart + 2, IpStart + 6, l4 + 4, l4 + 12, l4 + 2];
        int at = candidates[random.NextInt(candidates.Length)];
        if (at == IpStart) { f[at] = (byte)(0x40 | random.NextInt(16)); return; }
        if (at == l4 + 12) { if (at < f.Length) f[at] = (byte)(random.NextInt(16) << 4); return; }
        if (at + 2 <= f.Length) BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(at), EdgeValue());
    }

    private ushort EdgeValue() => random.NextInt(4) == 0 ? (ushort)random.NextUInt64() : EdgeValues[random.NextInt(EdgeValues.Length)];

    /// <summary>Writes IP or TCP options whose length bytes disagree with the space they have.</summary>
    private void LieInOptions(byte[] f)
    {
        if (!IsIpv4(f)) return;
        int ihl = (f[IpStart] & 0xF) * 4;
        int l4 = IpStart + ihl;
        bool tcp = f[IpStart + 9] == (byte)IpProtocol.Tcp && f.Length >= l4 + 20;
        int optStart, optEnd;
        if (tcp && ((f[l4 + 12] >> 4) * 4) > 20)
        {
            optStart = l4 + 20;
            optEnd = Math.Min(f.Length, l4 + (f[l4 + 12] >> 4) * 4);
        }
        else if (ihl > 20)
        {
            optStart = IpStart + 20;
            optEnd = Math.Min(f.Length, IpStart + ihl);
        }
        else if (tcp)
        {
            optStart = l4 + 20;
            optEnd = Math.Min(f.Length, l4 + 20 + 4);
            f[l4 + 12] = (byte)((6 << 4) | (f[l4 + 12] & 0xF));
        }
        else return;
        for (int i = optStart; i < optEnd; i++)
        {
            int choice = random.NextInt(4);
            f[i] = choice switch
            {
                0 => (byte)random.NextInt(9),            // a real option kind (EOL, NOP, MSS, WS, SACK-permitted, SACK, TS)
                1 => 0,                                  // length zero: the classic infinite loop
                2 => (byte)(0xFF),                       // length far past the end
                _ => (byte)random.NextUInt64(),
            };
        }
    }

    /// <summary>Cuts the datagram's payload into fragments whose ranges overlap.</summary>
    private IEnumerable<byte[]> OverlappingFragments(byte[] seed)
    {
        if (!IsIpv4(seed)) yield break;
        int ihl = (seed[IpStart] & 0xF) * 4;
        int total = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(seed.AsSpan(IpStart + 2)), seed.Length - IpStart);
        int payload = total - ihl;
        if (ihl < 20 || payload < 16) yield break;
        ushort id = (ushort)random.NextUInt64();
        int pieces = 2 + random.NextInt(4);
        for (int i = 0; i < pieces; i++)
        {
            int start = random.NextInt(payload / 8) * 8;
            int length = Math.Max(8, random.NextInt(payload - start + 1) & ~7);
            if (start + length > payload) length = payload - start;
            bool more = start + length < payload || random.NextInt(3) == 0;
            yield return BuildFragment(seed, ihl, id, start, seed.AsSpan(IpStart + ihl + start, length), more);
        }
    }

    /// <summary>A fragment whose offset plus length runs past the 65,535-byte datagram limit.</summary>
    private byte[] OversizedFragment(byte[] seed)
    {
        if (!IsIpv4(seed)) return (byte[])seed.Clone();
        int ihl = Math.Max(20, (seed[IpStart] & 0xF) * 4);
        var data = new byte[Math.Min(1400, Math.Max(8, seed.Length - IpStart - ihl))];
        return BuildFragment(seed, ihl, (ushort)random.NextUInt64(), 65528 - random.NextInt(4) * 8, data, random.NextInt(2) == 0);
    }

    /// <summary>The seed's datagram grown to 65,467–65,515 payload bytes and cut into 1,480-byte fragments, the
    /// first with 4–40 bytes of IP options: every fragment is within the limit on its own, but header plus payload
    /// lands either side of 65,535 (issue 18: a 16-bit length wrapped to 0). Sometimes sent last fragment first.</summary>
    private IEnumerable<byte[]> FragmentTrainNearLimit(byte[] seed)
    {
        if (!IsIpv4(seed)) yield break;
        int seedIhl = (seed[IpStart] & 0xF) * 4;
        if (seedIhl < 20 || IpStart + seedIhl > seed.Length) yield break;
        int optionLength = 4 * (1 + random.NextInt(10));
        int payloadLength = Ipv4Packet.MaxTotalLength - Ipv4Packet.MinHeaderLength - random.NextInt(49);
        var payload = new byte[payloadLength];
        seed.AsSpan(IpStart + seedIhl).CopyTo(payload); // the transport header, so the datagram reaches its handler
        for (int i = seed.Length - IpStart - seedIhl; i < payload.Length; i++) payload[i] = (byte)i;

        var template = new byte[IpStart + Ipv4Packet.MinHeaderLength + optionLength];
        seed.AsSpan(0, IpStart + Ipv4Packet.MinHeaderLength).CopyTo(template);
        template[IpStart + Ipv4Packet.MinHeaderLength] = 7; // record route: its length and pointer lie within the options
        template[IpStart + Ipv4Packet.MinHeaderLength + 1] = (byte)(3 + 4 * ((optionLength - 3) / 4)); // then EOL
        template[IpStart + Ipv4Packet.MinHeaderLength + 2] = 4;
        var plain = template[..(IpStart + Ipv4Packet.MinHeaderLength)];
        plain[IpStart] = 0x45;
        template[IpStart] = (byte)(0x40 | (Ipv4Packet.MinHeaderLength + optionLength) / 4);

        ushort id = (ushort)random.NextUInt64();
        const int chunk = 1480;
        var train = new List<byte[]>();
        for (int offset = 0; offset < payloadLength; offset += chunk)
        {
            int length = Math.Min(chunk, payloadLength - offset);
            var header = offset == 0 ? template : plain;
            train.Add(BuildFragment(header, (header[IpStart] & 0xF) * 4, id, offset,
                payload.AsSpan(offset, length), offset + length < payloadLength));
        }
        if (random.NextInt(3) == 0) train.Reverse();
        foreach (var f in train) yield return f;
    }

    private static byte[] BuildFragment(byte[] seed, int ihl, ushort id, int offset, ReadOnlySpan<byte> data, bool more)
    {
        var f = new byte[IpStart + ihl + data.Length];
        seed.AsSpan(0, IpStart + ihl).CopyTo(f);
        data.CopyTo(f.AsSpan(IpStart + ihl));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(IpStart + 2), (ushort)(ihl + data.Length));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(IpStart + 4), id);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(IpStart + 6), (ushort)((more ? 0x2000 : 0) | ((offset / 8) & 0x1FFF)));
        RepairIpChecksum(f);
        return f;
    }

    /// <summary>Recomputes the IPv4 header checksum and, when the datagram is whole, the transport checksum; for IPv6,
    /// the upper-layer checksum when it follows the fixed header directly.</summary>
    public static void RepairChecksums(byte[] f)
    {
        if (f.Length >= IpStart + Ipv6Packet.HeaderLength && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == (ushort)EtherType.Ipv6)
        {
            int payload = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(IpStart + 4)), f.Length - IpStart - Ipv6Packet.HeaderLength);
            var packet = f[..(IpStart + Ipv6Packet.HeaderLength + payload)];
            Ipv6Mutations.RepairUpperChecksum(packet, (IpProtocol)f[IpStart + 6], 0);
            packet.AsSpan(IpStart + Ipv6Packet.HeaderLength).CopyTo(f.AsSpan(IpStart + Ipv6Packet.HeaderLength));
            return;
        }
        if (!IsIpv4(f)) return;
        int ihl = (f[IpStart] & 0xF) * 4;
        if (ihl < 20 || IpStart + ihl > f.Length) return;
        RepairIpChecksum(f);
        int total = BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(IpStart + 2));
        bool fragment = (BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(IpStart + 6)) & 0x3FFF) != 0;
        if (fragment || total < ihl || IpStart + total > f.Length) return;
        var l4 = f.AsSpan(IpStart + ihl, total - ihl);
        var src = Ipv4Address.Read(f.AsSpan(IpStart + 12));
        var dst = Ipv4Address.Read(f.AsSpan(IpStart + 16));
        switch ((IpProtocol)f[IpStart + 9])
        {
            case IpProtocol.Icmp when l4.Length >= 4:
                l4[2] = l4[3] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(l4[2..], Checksum.Compute(l4));
                break;
            case IpProtocol.Udp when l4.Length >= 8:
                l4[6] = l4[7] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(l4[6..], Checksum.Fold(Checksum.Accumulate(
                    Checksum.PseudoHeader(src, dst, (byte)IpProtocol.Udp, l4.Length), l4)));
                break;
            case IpProtocol.Tcp when l4.Length >= 20:
                l4[16] = l4[17] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(l4[16..], Checksum.Fold(Checksum.Accumulate(
                    Checksum.PseudoHeader(src, dst, (byte)IpProtocol.Tcp, l4.Length), l4)));
                break;
        }
    }

    private static void RepairIpChecksum(byte[] f)
    {
        int ihl = (f[IpStart] & 0xF) * 4;
        if (ihl < 20 || IpStart + ihl > f.Length) return;
        f[IpStart + 10] = f[IpStart + 11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(IpStart + 10), Checksum.Compute(f.AsSpan(IpStart, ihl)));
    }
}
