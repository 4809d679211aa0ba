using System.Buffers.Binary;

namespace Netstack.Wire;

public enum ArpOperation : ushort
{
    Request = 1,
    Reply = 2,
}

/// <summary>An ARP packet for Ethernet/IPv4 (RFC 826), the only combination this stack speaks.</summary>
public readonly record struct ArpPacket(
    ArpOperation Operation,
    MacAddress SenderHardware,
    Ipv4Address SenderProtocol,
    MacAddress TargetHardware,
    Ipv4Address TargetProtocol)
{
    public const int Length = 28;
    private const ushort HardwareEthernet = 1;

    /// <summary>Parses an Ethernet/IPv4 ARP packet; false for truncated or other hardware/protocol types.</summary>
    public static bool TryParse(ReadOnlySpan<byte> b, out ArpPacket packet)
    {
        packet = default;
        if (b.Length < Length) return false;
        if (BinaryPrimitives.ReadUInt16BigEndian(b) != HardwareEthernet ||
            BinaryPrimitives.ReadUInt16BigEndian(b[2..]) != (ushort)EtherType.Ipv4 ||
            b[4] != 6 || b[5] != 4)
            return false;
        var op = (ArpOperation)BinaryPrimitives.ReadUInt16BigEndian(b[6..]);
        if (op is not (ArpOperation.Request or ArpOperation.Reply)) return false;
        packet = new ArpPacket(op, MacAddress.Read(b[8..]), Ipv4Address.Read(b[14..]),
            MacAddress.Read(b[18..]), Ipv4Address.Read(b[24..]));
        return true;
    }

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt16BigEndian(b, HardwareEthernet);
        BinaryPrimitives.WriteUInt16BigEndian(b[2..], (ushort)EtherType.Ipv4);
        b[4] = 6;
        b[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(b[6..], (ushort)Operation);
        SenderHardware.Write(b[8..]);
        SenderProtocol.Write(b[14..]);
        TargetHardware.Write(b[18..]);
        TargetProtocol.Write(b[24..]);
    }
}
