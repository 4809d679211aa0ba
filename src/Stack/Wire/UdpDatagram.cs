using System.Buffers.Binary;

namespace Netstack.Wire;

/// <summary>View over a UDP datagram (RFC 768).</summary>
public readonly ref struct UdpDatagram
{
    /// <summary>Size in bytes of the UDP header.</summary>
    public const int HeaderLength = 8;
    private readonly ReadOnlySpan<byte> _b;
    /// <summary>Views <paramref name="bytes"/> (the IPv4 payload) as a datagram; check <see cref="IsWellFormed"/>
    /// first.</summary>
    public UdpDatagram(ReadOnlySpan<byte> bytes) => _b = bytes;

    /// <summary>Source port; 0 when the sender expects no reply.</summary>
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_b);
    /// <summary>Destination port.</summary>
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_b[2..]);
    /// <summary>Length field: header plus payload in bytes.</summary>
    public int Length => BinaryPrimitives.ReadUInt16BigEndian(_b[4..]);
    /// <summary>Checksum field as read big-endian; 0 means none was computed.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_b[6..]);
    /// <summary>The data, bounded by the <see cref="Length"/> field.</summary>
    public ReadOnlySpan<byte> Payload => _b[HeaderLength..Length];

    /// <summary>Length field consistent with the IP payload it came in.</summary>
    public bool IsWellFormed => _b.Length >= HeaderLength && Length >= HeaderLength && Length <= _b.Length;

    /// <summary>RFC 768: a zero checksum means the sender computed none.</summary>
    public bool IsChecksumValid(Ipv4Address source, Ipv4Address destination) =>
        Checksum == 0 || Wire.Checksum.IsValid(Wire.Checksum.Accumulate(
            Wire.Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Udp, Length), _b[..Length]));

    /// <summary>Writes the header over a datagram whose payload is already in place, with its checksum.</summary>
    public static void WriteHeader(Span<byte> datagram, ushort sourcePort, ushort destinationPort,
        Ipv4Address source, Ipv4Address destination) =>
        WriteHeader(datagram, sourcePort, destinationPort, Wire.Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Udp, datagram.Length));

    /// <summary>Writes the header over a datagram over IPv6 whose payload is already in place, with its checksum
    /// over the IPv6 pseudo-header (RFC 8200 §8.1).</summary>
    public static void WriteHeader(Span<byte> datagram, ushort sourcePort, ushort destinationPort,
        Ipv6Address source, Ipv6Address destination) =>
        WriteHeader(datagram, sourcePort, destinationPort, Wire.Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Udp, datagram.Length));

    /// <summary>Writes the header over a datagram of either family (both addresses of one family) whose payload is
    /// already in place, with its checksum over that family's pseudo-header.</summary>
    public static void WriteHeader(Span<byte> datagram, ushort sourcePort, ushort destinationPort,
        IpAddress source, IpAddress destination) =>
        WriteHeader(datagram, sourcePort, destinationPort, Wire.Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Udp, datagram.Length));

    private static void WriteHeader(Span<byte> datagram, ushort sourcePort, ushort destinationPort, ulong pseudoHeader)
    {
        BinaryPrimitives.WriteUInt16BigEndian(datagram, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[4..], (ushort)datagram.Length);
        datagram[6] = 0;
        datagram[7] = 0;
        ushort sum = Wire.Checksum.Fold(Wire.Checksum.Accumulate(pseudoHeader, datagram));
        // RFC 768: a computed zero is sent as all ones, since zero means "no checksum".
        BinaryPrimitives.WriteUInt16BigEndian(datagram[6..], sum == 0 ? (ushort)0xFFFF : sum);
    }
}
