using System.Buffers.Binary;

namespace Netstack.Harness.Trace;

/// <summary>The TCP fields of a recorded frame (Ethernet + IPv4 + TCP), read for expectations; null when the
/// frame is not a first-fragment TCP segment.</summary>
public readonly record struct TcpView(uint Source, ushort SourcePort, uint Destination, ushort DestinationPort,
    uint Sequence, uint Acknowledgment, byte Flags, ushort Window, int PayloadLength)
{
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20, Ece = 0x40, Cwr = 0x80;

    public static TcpView? Read(byte[] frame)
    {
        if (frame.Length < 34 || BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) != 0x0800) return null;
        var ip = frame.AsSpan(14);
        int ihl = (ip[0] & 15) * 4;
        if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 6 || (BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x1FFF) != 0) return null;
        int total = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(ip[2..]), ip.Length);
        if (total < ihl + 20) return null;
        var tcp = ip[ihl..total];
        int dataOffset = (tcp[12] >> 4) * 4;
        return new TcpView(
            BinaryPrimitives.ReadUInt32BigEndian(ip[12..]), BinaryPrimitives.ReadUInt16BigEndian(tcp),
            BinaryPrimitives.ReadUInt32BigEndian(ip[16..]), BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]), BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]),
            tcp[13], BinaryPrimitives.ReadUInt16BigEndian(tcp[14..]), Math.Max(0, tcp.Length - dataOffset));
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
