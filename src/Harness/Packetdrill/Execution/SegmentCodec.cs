using System.Buffers.Binary;
using Netstack.Harness.Trace;
using Netstack.Wire;

namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>A TCP segment the stack under test sent, read from its frame: the header fields and the options in the
/// order they were written on the wire (so a script's option list can be compared item by item).</summary>
public sealed record SentTcpSegment(ushort SourcePort, ushort DestinationPort, uint Sequence, uint Acknowledgment,
    byte Flags, ushort Window, int PayloadLength, IReadOnlyList<TcpOptionSpec> Options, uint? TsVal, uint? TsEcr, byte[] Payload);

/// <summary>Builds the frames a script injects and reads the ones the stack sends. Its own byte code (through
/// <see cref="FrameBuilder"/>'s checksums), not the stack's: a peer sharing the stack's bugs could not catch them.</summary>
public static class SegmentCodec
{
    public const byte ProtocolTcp = 6, ProtocolUdp = 17, ProtocolIcmp = 1;

    /// <summary>TCP header + options + payload (zeros), checksummed for <paramref name="source"/> → <paramref name="destination"/>.</summary>
    public static byte[] Tcp(IpAddress source, IpAddress destination, ushort sourcePort, ushort destinationPort,
        uint sequence, uint acknowledgment, byte flags, ushort window, ReadOnlySpan<byte> options, int payloadLength)
    {
        int optionLength = (options.Length + 3) & ~3;
        int headerLength = 20 + optionLength;
        var p = new byte[headerLength + payloadLength];
        BinaryPrimitives.WriteUInt16BigEndian(p, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(4), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(8), acknowledgment);
        p[12] = (byte)(headerLength / 4 << 4);
        p[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(14), window);
        options.CopyTo(p.AsSpan(20)); // the rest of the padding is already zero (end of options)
        ushort checksum = TransportChecksum(source, destination, ProtocolTcp, p);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(16), checksum);
        return p;
    }

    /// <summary>A UDP datagram of <paramref name="payloadLength"/> zeros, checksummed for either family.</summary>
    public static byte[] Udp(IpAddress source, IpAddress destination, ushort sourcePort, ushort destinationPort, int payloadLength)
    {
        var p = FrameBuilder.Udp(source.Ipv4, destination.Ipv4, sourcePort, destinationPort, new byte[payloadLength], false, checksum: 0);
        ushort checksum = TransportChecksum(source, destination, ProtocolUdp, p);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), checksum == 0 ? (ushort)0xFFFF : checksum); // RFC 768: zero is sent as all ones
        return p;
    }

    /// <summary>The Internet checksum of a transport message with the pseudo-header of its family (RFC 793 §3.1,
    /// RFC 8200 §8.1).</summary>
    public static ushort TransportChecksum(IpAddress source, IpAddress destination, byte protocol, ReadOnlySpan<byte> message) =>
        source.IsIpv4
            ? FrameBuilder.TransportChecksum(source.Ipv4, destination.Ipv4, protocol, message)
            : Ipv6FrameBuilder.TransportChecksum(source.Ipv6, destination.Ipv6, protocol, message);

    /// <summary>The bytes of an option list as a script writes it; SACK blocks and the echoed timestamp are mapped
    /// by the caller's functions (relative to absolute).</summary>
    public static byte[] Options(IReadOnlyList<TcpOptionSpec> items, Func<uint, uint> sackToAbsolute, Func<uint, uint> echoToLive)
    {
        var bytes = new List<byte>(40);
        foreach (var item in items)
        {
            switch (item)
            {
                case NopOption: bytes.Add(1); break;
                case EolOption: bytes.Add(0); break;
                case MssOption m: bytes.AddRange([2, 4, (byte)(m.Mss >> 8), (byte)m.Mss]); break;
                case WindowScaleOption w: bytes.AddRange([3, 3, (byte)w.Shift]); break;
                case SackPermittedOption: bytes.AddRange([4, 2]); break;
                case TimestampOption ts:
                    bytes.AddRange([8, 10]);
                    AddUInt32(bytes, ts.Value ?? 0);
                    AddUInt32(bytes, ts.Echo is uint e ? (ts.EchoAbsolute ? e : echoToLive(e)) : 0);
                    break;
                case SackOption sack:
                    bytes.AddRange([5, (byte)(2 + 8 * sack.Blocks.Count)]);
                    foreach (var b in sack.Blocks)
                    {
                        AddUInt32(bytes, sackToAbsolute(b.Left));
                        AddUInt32(bytes, sackToAbsolute(b.Right));
                    }
                    break;
                case FastOpenOption fo:
                    var cookie = FastOpenCookie(fo.Cookie);
                    // RFC 7413's kind 34, or the experimental kind 254 with its magic 0xF989 (RFC 6994).
                    if (fo.Experimental) bytes.AddRange([254, (byte)(4 + cookie.Length), 0xF9, 0x89]);
                    else bytes.AddRange([34, (byte)(2 + cookie.Length)]);
                    bytes.AddRange(cookie);
                    break;
                default:
                    throw new NotSupportedException($"option '{item}' cannot be injected");
            }
        }
        return bytes.ToArray();
    }

    /// <summary>A Fast Open cookie as a script writes it (hex digits, or a name run_all.py defines), as bytes.</summary>
    public static byte[] FastOpenCookie(string text)
    {
        text = PacketdrillDefines.Resolve(text);
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) text = text[2..];
        try
        {
            return Convert.FromHexString(text.Length % 2 == 1 ? "0" + text : text);
        }
        catch (FormatException)
        {
            throw new SyscallModelException($"Fast Open cookie '{text}' is not hex digits");
        }
    }

    private static void AddUInt32(List<byte> bytes, uint value) =>
        bytes.AddRange([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);

    /// <summary>The IPv4 packet inside an Ethernet frame, or null for anything else (ARP).</summary>
    public static ReadOnlySpan<byte> Ipv4Packet(byte[] frame) =>
        frame.Length >= 34 && BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) == FrameBuilder.EtherTypeIpv4
            ? frame.AsSpan(14, Math.Min(frame.Length - 14, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(16))))
            : default;

    /// <summary>Reads a TCP segment from an IPv4 packet's payload; null when it is too short to be one.</summary>
    public static SentTcpSegment? ReadTcp(ReadOnlySpan<byte> tcp)
    {
        if (tcp.Length < 20) return null;
        int dataOffset = (tcp[12] >> 4) * 4;
        if (dataOffset < 20 || dataOffset > tcp.Length) return null;
        var options = new List<TcpOptionSpec>();
        uint? tsVal = null, tsEcr = null;
        var o = tcp[20..dataOffset];
        while (o.Length > 0)
        {
            byte kind = o[0];
            if (kind == 0)
            {
                // EOL and the zero padding after it, one "eol" per byte, as packetdrill writes them (<mss 1460,sackOK,eol,eol>).
                foreach (var pad in o) options.Add(new EolOption());
                break;
            }
            if (kind == 1) { options.Add(new NopOption()); o = o[1..]; continue; }
            if (o.Length < 2 || o[1] < 2 || o[1] > o.Length) break;
            var body = o[2..o[1]];
            switch (kind)
            {
                case 2 when body.Length == 2: options.Add(new MssOption(BinaryPrimitives.ReadUInt16BigEndian(body))); break;
                case 3 when body.Length == 1: options.Add(new WindowScaleOption(body[0])); break;
                case 4: options.Add(new SackPermittedOption()); break;
                case 8 when body.Length == 8:
                    tsVal = BinaryPrimitives.ReadUInt32BigEndian(body);
                    tsEcr = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                    options.Add(new TimestampOption(tsVal, tsEcr));
                    break;
                case 5:
                    var blocks = new List<SackBlockSpec>();
                    for (int i = 0; i + 8 <= body.Length; i += 8)
                        blocks.Add(new SackBlockSpec(BinaryPrimitives.ReadUInt32BigEndian(body[i..]), BinaryPrimitives.ReadUInt32BigEndian(body[(i + 4)..])));
                    options.Add(new SackOption(blocks));
                    break;
                case 34: options.Add(new FastOpenOption(Convert.ToHexStringLower(body), false)); break;
                case 254 when body.Length >= 2 && body[0] == 0xF9 && body[1] == 0x89:
                    options.Add(new FastOpenOption(Convert.ToHexStringLower(body[2..]), true));
                    break;
                default: options.Add(new UnknownOption(kind)); break;
            }
            o = o[o[1]..];
        }
        return new SentTcpSegment(BinaryPrimitives.ReadUInt16BigEndian(tcp), BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]), BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]), tcp[13],
            BinaryPrimitives.ReadUInt16BigEndian(tcp[14..]), tcp.Length - dataOffset, options, tsVal, tsEcr, tcp[dataOffset..].ToArray());
    }

    public static byte FlagBits(TcpFlagSet f) => (byte)((f.Fin ? 0x01 : 0) | (f.Syn ? 0x02 : 0) | (f.Rst ? 0x04 : 0) | (f.Psh ? 0x08 : 0) |
                                                        (f.Ack ? 0x10 : 0) | (f.Urg ? 0x20 : 0) | (f.Ece ? 0x40 : 0) | (f.Cwr ? 0x80 : 0));

    public static TcpFlagSet Flags(byte b) => new((b & 0x01) != 0, (b & 0x02) != 0, (b & 0x04) != 0, (b & 0x08) != 0,
        (b & 0x20) != 0, (b & 0x40) != 0, (b & 0x80) != 0, (b & 0x10) != 0);
}

/// <summary>An option kind the script notation has no word for, read from the wire.</summary>
public sealed record UnknownOption(byte Kind) : TcpOptionSpec
{
    public override string ToString() => $"opt-{Kind}";
}
