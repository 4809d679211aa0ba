using System.Buffers.Binary;

namespace Netstack.Harness.Replay;

/// <summary>One frame of a replay (from the capture or sent by our stack), with the header fields the
/// comparison looks at decoded once. Fields of layers the frame does not carry are left at their defaults.</summary>
public sealed class ReplayFrame
{
    public ReplayFrame(int number, long timeNanoseconds, byte[] bytes)
    {
        Number = number;
        TimeNanoseconds = timeNanoseconds;
        Bytes = bytes;
        Decode();
    }

    /// <summary>1-based position in its file, as Wireshark counts.</summary>
    public int Number { get; }
    public long TimeNanoseconds { get; }
    public byte[] Bytes { get; }
    /// <summary>The 802.1Q VLAN id the frame was captured with (its tag removed from <see cref="Bytes"/>), or -1.</summary>
    public int Vlan { get; init; } = -1;
    /// <summary>Bytes the capture kept and the frame's length on the wire: less when the snapshot length cut it.</summary>
    public int CapturedLength { get; init; }
    public int OriginalLength { get; init; }
    public bool Truncated => OriginalLength > CapturedLength;
    /// <summary>Left out by the replay's --filter.</summary>
    public bool Filtered { get; init; }

    /// <summary>The same frame at another time.</summary>
    public ReplayFrame At(long timeNanoseconds) => new(Number, timeNanoseconds, Bytes)
    {
        Vlan = Vlan, CapturedLength = CapturedLength, OriginalLength = OriginalLength, Filtered = Filtered,
    };

    public string EthDestination { get; private set; } = "";
    public string EthSource { get; private set; } = "";
    public ushort EtherType { get; private set; }

    public bool IsArp { get; private set; }
    public ushort ArpOperation { get; private set; }
    public string ArpSenderMac { get; private set; } = "";
    public uint ArpSenderIp { get; private set; }
    public string ArpTargetMac { get; private set; } = "";
    public uint ArpTargetIp { get; private set; }

    public bool IsIpv4 { get; private set; }
    public int IpHeaderLength { get; private set; }
    public byte Tos { get; private set; }
    public int IpTotalLength { get; private set; }
    public ushort IpId { get; private set; }
    public bool DontFragment { get; private set; }
    public bool MoreFragments { get; private set; }
    public int FragmentOffset { get; private set; }
    public byte Ttl { get; private set; }
    public byte Protocol { get; private set; }
    public uint IpSource { get; private set; }
    public uint IpDestination { get; private set; }
    /// <summary>Where the IP payload starts in <see cref="Bytes"/> and how long it is.</summary>
    public int L4Offset { get; private set; }
    public int L4Length { get; private set; }
    public bool IsFirstFragment => IsIpv4 && FragmentOffset == 0;

    public byte IcmpType { get; private set; }
    public byte IcmpCode { get; private set; }
    public ushort IcmpId { get; private set; }
    public ushort IcmpSequence { get; private set; }

    public ushort SourcePort { get; private set; }
    public ushort DestinationPort { get; private set; }
    public int UdpLength { get; private set; }

    public uint Seq { get; private set; }
    public uint Ack { get; private set; }
    public byte TcpFlags { get; private set; }
    public int TcpHeaderLength { get; private set; }
    public int TcpPayloadLength => IsTcp ? L4Length - TcpHeaderLength : 0;
    /// <summary>Offset in <see cref="Bytes"/> of the timestamp option's TSval, or -1.</summary>
    public int TimestampOffset { get; private set; } = -1;

    public bool IsIcmp => IsIpv4 && Protocol == 1 && IsFirstFragment && L4Length >= 8;
    public bool IsUdp => IsIpv4 && Protocol == 17 && IsFirstFragment && L4Length >= 8;
    public bool IsTcp => IsIpv4 && Protocol == 6 && IsFirstFragment && TcpHeaderLength >= 20;

    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, AckFlag = 0x10;
    public bool Has(byte flag) => (TcpFlags & flag) != 0;
    public bool IsPureAck => IsTcp && TcpFlags is AckFlag or (AckFlag | Psh) && TcpPayloadLength == 0;

    public ReadOnlySpan<byte> L4 => Bytes.AsSpan(L4Offset, L4Length);
    public ReadOnlySpan<byte> TcpPayload => Bytes.AsSpan(L4Offset + TcpHeaderLength, TcpPayloadLength);
    public ReadOnlySpan<byte> UdpPayload => Bytes.AsSpan(L4Offset + 8, Math.Max(0, Math.Min(UdpLength, L4Length) - 8));

    public uint TsVal => TimestampOffset < 0 ? 0 : BinaryPrimitives.ReadUInt32BigEndian(Bytes.AsSpan(TimestampOffset));
    public uint TsEcr => TimestampOffset < 0 ? 0 : BinaryPrimitives.ReadUInt32BigEndian(Bytes.AsSpan(TimestampOffset + 4));

    public static string Mac(ReadOnlySpan<byte> b) => $"{b[0]:x2}:{b[1]:x2}:{b[2]:x2}:{b[3]:x2}:{b[4]:x2}:{b[5]:x2}";
    public static string Ip(uint a) => $"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}";

    private void Decode()
    {
        var b = Bytes.AsSpan();
        if (b.Length < 14) return;
        EthDestination = Mac(b);
        EthSource = Mac(b[6..]);
        EtherType = BinaryPrimitives.ReadUInt16BigEndian(b[12..]);
        var p = b[14..];
        if (EtherType == 0x0806 && p.Length >= 28)
        {
            IsArp = true;
            ArpOperation = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
            ArpSenderMac = Mac(p[8..]);
            ArpSenderIp = BinaryPrimitives.ReadUInt32BigEndian(p[14..]);
            ArpTargetMac = Mac(p[18..]);
            ArpTargetIp = BinaryPrimitives.ReadUInt32BigEndian(p[24..]);
            return;
        }
        if (EtherType != 0x0800 || p.Length < 20 || p[0] >> 4 != 4) return;
        int ihl = (p[0] & 15) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
        if (ihl < 20 || total < ihl || total > p.Length) return;
        IsIpv4 = true;
        IpHeaderLength = ihl;
        Tos = p[1];
        IpTotalLength = total;
        IpId = BinaryPrimitives.ReadUInt16BigEndian(p[4..]);
        ushort frag = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
        DontFragment = (frag & 0x4000) != 0;
        MoreFragments = (frag & 0x2000) != 0;
        FragmentOffset = (frag & 0x1fff) * 8;
        Ttl = p[8];
        Protocol = p[9];
        IpSource = BinaryPrimitives.ReadUInt32BigEndian(p[12..]);
        IpDestination = BinaryPrimitives.ReadUInt32BigEndian(p[16..]);
        L4Offset = 14 + ihl;
        L4Length = total - ihl;
        if (FragmentOffset != 0) return;
        var l4 = b.Slice(L4Offset, L4Length);
        if (Protocol == 1 && l4.Length >= 8)
        {
            IcmpType = l4[0];
            IcmpCode = l4[1];
            IcmpId = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
            IcmpSequence = BinaryPrimitives.ReadUInt16BigEndian(l4[6..]);
        }
        else if (Protocol == 17 && l4.Length >= 8)
        {
            SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
            DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
            UdpLength = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
        }
        else if (Protocol == 6 && l4.Length >= 20)
        {
            int dataOffset = (l4[12] >> 4) * 4;
            if (dataOffset < 20 || dataOffset > l4.Length) return;
            SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
            DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
            Seq = BinaryPrimitives.ReadUInt32BigEndian(l4[4..]);
            Ack = BinaryPrimitives.ReadUInt32BigEndian(l4[8..]);
            TcpFlags = (byte)(l4[13] & 0x3f);
            TcpHeaderLength = dataOffset;
            for (int i = 20; i < dataOffset;)
            {
                byte kind = l4[i];
                if (kind == 0) break;
                if (kind == 1) { i++; continue; }
                if (i + 1 >= dataOffset || l4[i + 1] < 2) break;
                if (kind == 8 && l4[i + 1] == 10 && i + 10 <= dataOffset) TimestampOffset = L4Offset + i + 2;
                i += l4[i + 1];
            }
        }
    }
}
