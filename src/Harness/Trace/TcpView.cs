using System.Buffers.Binary;
using Netstack.Wire;

namespace Netstack.Harness.Trace;

/// <summary>The TCP fields of a recorded frame (Ethernet + IPv4 or IPv6 + TCP), read for expectations; null when
/// the frame is not a first-fragment TCP segment. An IPv6 segment is read when TCP follows the fixed header
/// directly (what the stacks send; extension headers before TCP are not walked).</summary>
public readonly record struct TcpView(IpAddress Source, ushort SourcePort, IpAddress Destination, ushort DestinationPort,
    uint Sequence, uint Acknowledgment, byte Flags, ushort Window, int PayloadLength)
{
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20, Ece = 0x40, Cwr = 0x80;

    public static TcpView? Read(byte[] frame)
    {
        if (!TryLocate(frame, out var source, out var destination, out int start, out int end)) return null;
        var tcp = frame.AsSpan(start, end - start);
        int dataOffset = (tcp[12] >> 4) * 4;
        return new TcpView(
            source, BinaryPrimitives.ReadUInt16BigEndian(tcp),
            destination, BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]), BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]),
            tcp[13], BinaryPrimitives.ReadUInt16BigEndian(tcp[14..]), Math.Max(0, tcp.Length - dataOffset));
    }

    /// <summary>The TCP header and payload of a frame <see cref="Read"/> accepts (empty for any other frame), for
    /// readers of the options.</summary>
    public static ReadOnlySpan<byte> Segment(byte[] frame) =>
        TryLocate(frame, out _, out _, out int start, out int end) ? frame.AsSpan(start, end - start) : default;

    private static bool TryLocate(byte[] frame, out IpAddress source, out IpAddress destination, out int start, out int end)
    {
        source = destination = default;
        start = end = 0;
        if (frame.Length < 34) return false;
        var ip = frame.AsSpan(14);
        switch (BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)))
        {
            case 0x0800:
            {
                int ihl = (ip[0] & 15) * 4;
                if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 6 || (BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x1FFF) != 0) return false;
                int total = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(ip[2..]), ip.Length);
                if (total < ihl + 20) return false;
                source = new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(ip[12..]));
                destination = new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(ip[16..]));
                (start, end) = (14 + ihl, 14 + total);
                return true;
            }
            case 0x86DD:
            {
                if (ip.Length < 60 || (ip[0] >> 4) != 6 || ip[6] != 6) return false;
                int total = Math.Min(40 + BinaryPrimitives.ReadUInt16BigEndian(ip[4..]), ip.Length);
                if (total < 60) return false;
                source = Ipv6Address.Read(ip[8..]);
                destination = Ipv6Address.Read(ip[24..]);
                (start, end) = (14 + 40, 14 + total);
                return true;
            }
            default:
                return false;
        }
    }

    public bool IsFrom(in TcpView other) => Source == other.Source && SourcePort == other.SourcePort &&
                                             Destination == other.Destination && DestinationPort == other.DestinationPort;

    public bool IsReverseOf(in TcpView other) => Source == other.Destination && SourcePort == other.DestinationPort &&
                                                  Destination == other.Source && DestinationPort == other.SourcePort;

    /// <summary>tcpdump's notation: S, F, R, P, U, E, W, and '.' for ACK, in that order.</summary>
    public static string FlagText(byte flags)
    {
        var s = "";
        if ((flags & Syn) != 0) s += "S";
        if ((flags & Fin) != 0) s += "F";
        if ((flags & Rst) != 0) s += "R";
        if ((flags & Psh) != 0) s += "P";
        if ((flags & Urg) != 0) s += "U";
        if ((flags & Ece) != 0) s += "E";
        if ((flags & Cwr) != 0) s += "W";
        if ((flags & Ack) != 0) s += ".";
        return s.Length == 0 ? "none" : s;
    }

    public static bool TryParseFlags(string text, out byte flags)
    {
        flags = 0;
        if (text == "none") return true;
        foreach (var c in text)
        {
            byte bit = c switch { 'S' => Syn, 'F' => Fin, 'R' => Rst, 'P' => Psh, 'U' => Urg, 'E' => Ece, 'W' => Cwr, '.' => Ack, _ => 0 };
            if (bit == 0 || (flags & bit) != 0) return false;
            flags |= bit;
        }
        return text.Length > 0;
    }
}
