using System.Buffers.Binary;

namespace Netstack.Wire;

/// <summary>ARP opcodes (RFC 826) this stack parses and sends.</summary>
public enum ArpOperation : ushort
{
    /// <summary>Who-has: asks the owner of <see cref="ArpPacket.TargetProtocol"/> for its MAC address.</summary>
    Request = 1,
    /// <summary>Is-at: <see cref="ArpPacket.SenderHardware"/> owns <see cref="ArpPacket.SenderProtocol"/>.</summary>
    Reply = 2,
}

/// <summary>An ARP packet for Ethernet/IPv4 (RFC 826), the only combination this stack speaks.</summary>
/// <param name="Operation">Request or reply.</param>
/// <param name="SenderHardware">MAC address of the sender.</param>
/// <param name="SenderProtocol">IPv4 address of the sender.</param>
/// <param name="TargetHardware">MAC address of the target; zero in a request.</param>
/// <param name="TargetProtocol">IPv4 address being asked about (request) or answered to (reply).</param>
public readonly record struct ArpPacket(
    ArpOperation Operation,
    MacAddress SenderHardware,
    Ipv4Address SenderProtocol,
    MacAddress TargetHardware,
    Ipv4Address TargetProtocol)
{
    /// <summary>Size in bytes of an Ethernet/IPv4 ARP packet (without Ethernet header or padding).</summary>
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

    /// <summary>Writes the packet in network byte order into the first <see cref="Length"/> bytes of
    /// <paramref name="b"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="b"/> is shorter than
    /// <see cref="Length"/>.</exception>
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
