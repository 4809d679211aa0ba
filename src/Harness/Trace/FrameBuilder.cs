using System.Buffers.Binary;
using Netstack.Wire;

namespace Netstack.Harness.Trace;

/// <summary>Builds frames for a scripted peer from header fields, with its own checksum code (not the stack's:
/// a peer that shared the stack's bugs could not catch them). Frames are padded to Ethernet's 60 bytes.</summary>
public static class FrameBuilder
{
    public const ushort EtherTypeIpv4 = 0x0800, EtherTypeArp = 0x0806;

    public static byte[] Ethernet(MacAddress destination, MacAddress source, ushort etherType, ReadOnlySpan<byte> payload, bool pad = true)
    {
        int length = 14 + payload.Length;
        var frame = new byte[pad ? Math.Max(60, length) : length];
        destination.Write(frame);
        source.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), etherType);
        payload.CopyTo(frame.AsSpan(14));
        return frame;
    }

    public static byte[] Arp(ushort operation, MacAddress senderMac, Ipv4Address senderIp, MacAddress targetMac, Ipv4Address targetIp)
    {
        var p = new byte[28];
        BinaryPrimitives.WriteUInt16BigEndian(p, 1);          // Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 0x0800);
        p[4] = 6;
        p[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), operation);
        senderMac.Write(p.AsSpan(8));
        senderIp.Write(p.AsSpan(14));
        targetMac.Write(p.AsSpan(18));
        targetIp.Write(p.AsSpan(24));
        return p;
    }

    public sealed record Ipv4Fields(Ipv4Address Source, Ipv4Address Destination, byte Protocol)
    {
        public byte TimeToLive { get; init; } = 64;
        public ushort Identification { get; init; }
        public byte TypeOfService { get; init; }
        public bool DontFragment { get; init; }
        public bool MoreFragments { get; init; }
        /// <summary>Fragment offset in bytes (a multiple of 8).</summary>
        public int FragmentOffset { get; init; }
        public bool BadChecksum { get; init; }
        /// <summary>Overrides the Total Length field (to lie about the length).</summary>
        public int? TotalLength { get; init; }
    }

    public static byte[] Ipv4(Ipv4Fields f, ReadOnlySpan<byte> payload)
    {
        var p = new byte[20 + payload.Length];
        p[0] = 0x45;
        p[1] = f.TypeOfService;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)(f.TotalLength ?? p.Length));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), f.Identification);
        ushort flags = (ushort)((f.DontFragment ? 0x4000 : 0) | (f.MoreFragments ? 0x2000 : 0) | ((f.FragmentOffset / 8) & 0x1FFF));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), flags);
        p[8] = f.TimeToLive;
        p[9] = f.Protocol;
        f.Source.Write(p.AsSpan(12));
        f.Destination.Write(p.AsSpan(16));
        ushort checksum = Complement(Sum(0, p.AsSpan(0, 20)));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), f.BadChecksum ? (ushort)~checksum : checksum);
        payload.CopyTo(p.AsSpan(20));
        return p;
    }

    public static byte[] Icmp(byte type, byte code, ushort identifier, ushort sequence, ReadOnlySpan<byte> data, bool badChecksum)
    {
        var p = new byte[8 + data.Length];
        p[0] = type;
        p[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), identifier);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), sequence);
        data.CopyTo(p.AsSpan(8));
        ushort checksum = Complement(Sum(0, p));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), badChecksum ? (ushort)~checksum : checksum);
        return p;
    }

    /// <param name="checksum">Null computes it; a value (such as 0, "no checksum") is written as given.</param>
    public static byte[] Udp(Ipv4Address source, Ipv4Address destination, ushort sourcePort, ushort destinationPort,
        ReadOnlySpan<byte> data, bool badChecksum, ushort? checksum = null)
    {
        var p = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(p, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)p.Length);
        data.CopyTo(p.AsSpan(8));
        ushort value = checksum ?? TransportChecksum(source, destination, 17, p);
        if (checksum is null && value == 0) value = 0xFFFF; // RFC 768: a computed zero is sent as all ones
        if (badChecksum) value = (ushort)~value;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), value);
        return p;
    }

    public sealed record TcpFields(ushort SourcePort, ushort DestinationPort, uint Sequence, uint Acknowledgment, byte Flags)
    {
        public ushort Window { get; init; } = 65535;
        public ushort? Mss { get; init; }
        public byte? WindowScale { get; init; }
        public bool SackPermitted { get; init; }
        public bool BadChecksum { get; init; }
    }

    public static byte[] Tcp(Ipv4Address source, Ipv4Address destination, TcpFields f, ReadOnlySpan<byte> data)
    {
        var options = new List<byte>();
        if (f.Mss is { } mss) options.AddRange([2, 4, (byte)(mss >> 8), (byte)mss]);
        if (f.SackPermitted) options.AddRange([4, 2]);
        if (f.WindowScale is { } ws) options.AddRange([1, 3, 3, ws]); // NOP keeps it aligned
        while (options.Count % 4 != 0) options.Add(0); // end of options
        int headerLength = 20 + options.Count;
        var p = new byte[headerLength + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(p, f.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), f.DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(4), f.Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(8), f.Acknowledgment);
        p[12] = (byte)(headerLength / 4 << 4);
        p[13] = f.Flags;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(14), f.Window);
        options.ToArray().CopyTo(p, 20);
        data.CopyTo(p.AsSpan(headerLength));
        ushort checksum = TransportChecksum(source, destination, 6, p);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(16), f.BadChecksum ? (ushort)~checksum : checksum);
        return p;
    }

    public static ushort TransportChecksum(Ipv4Address source, Ipv4Address destination, byte protocol, ReadOnlySpan<byte> segment)
    {
        Span<byte> pseudo = stackalloc byte[12];
        source.Write(pseudo);
        destination.Write(pseudo[4..]);
        pseudo[9] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)segment.Length);
        return Complement(Sum(Sum(0, pseudo), segment));
    }

    internal static uint Sum(uint sum, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += (uint)(data[i] << 8 | data[i + 1]);
        if (i < data.Length) sum += (uint)(data[i] << 8);
        return sum;
    }

    internal static ushort Complement(uint sum)
    {
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
