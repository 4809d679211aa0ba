using System.Buffers.Binary;

namespace Netstack.Wire;

/// <summary>ICMPv6 message types (RFC 4443, RFC 4861, RFC 3810) the stack recognises.</summary>
public enum Icmpv6Type : byte
{
    /// <summary>A packet could not be delivered; the code is an <see cref="Icmpv6UnreachableCode"/>.</summary>
    DestinationUnreachable = 1,
    /// <summary>A packet was larger than the next link's MTU, which the message carries (RFC 8201).</summary>
    PacketTooBig = 2,
    /// <summary>Hop limit ran out in transit (code 0) or fragment reassembly timed out (code 1).</summary>
    TimeExceeded = 3,
    /// <summary>A header field was invalid; the pointer names the offending byte.</summary>
    ParameterProblem = 4,
    /// <summary>Ping request.</summary>
    EchoRequest = 128,
    /// <summary>Ping reply.</summary>
    EchoReply = 129,
    /// <summary>MLD query (RFC 3810 §5.1).</summary>
    MulticastListenerQuery = 130,
    /// <summary>Router Solicitation (RFC 4861 §4.1).</summary>
    RouterSolicitation = 133,
    /// <summary>Router Advertisement (RFC 4861 §4.2).</summary>
    RouterAdvertisement = 134,
    /// <summary>Neighbor Solicitation (RFC 4861 §4.3).</summary>
    NeighborSolicitation = 135,
    /// <summary>Neighbor Advertisement (RFC 4861 §4.4).</summary>
    NeighborAdvertisement = 136,
    /// <summary>Redirect (RFC 4861 §4.5).</summary>
    Redirect = 137,
    /// <summary>MLDv2 Multicast Listener Report (RFC 3810 §5.2).</summary>
    Mldv2Report = 143,
}

/// <summary>Codes of Destination Unreachable (RFC 4443 §3.1).</summary>
public enum Icmpv6UnreachableCode : byte
{
    /// <summary>No route to destination.</summary>
    NoRoute = 0,
    /// <summary>Communication administratively prohibited.</summary>
    AdministrativelyProhibited = 1,
    /// <summary>Beyond the scope of the source address.</summary>
    BeyondScope = 2,
    /// <summary>Address unreachable (neighbour resolution failed).</summary>
    Address = 3,
    /// <summary>No socket listens on the destination port.</summary>
    Port = 4,
}

/// <summary>Codes of Parameter Problem (RFC 4443 §3.4).</summary>
public enum Icmpv6ParameterProblemCode : byte
{
    /// <summary>Erroneous header field (a routing header type 0, a bad length).</summary>
    ErroneousHeaderField = 0,
    /// <summary>Unrecognised Next Header type.</summary>
    UnrecognizedNextHeader = 1,
    /// <summary>Unrecognised IPv6 option whose type asks to be reported.</summary>
    UnrecognizedOption = 2,
}

/// <summary>View over an ICMPv6 message (RFC 4443 §2.1): type, code, checksum, a 4-byte field, then data.</summary>
public readonly ref struct Icmpv6Packet
{
    /// <summary>Size in bytes of the header every message has: type, code, checksum and the 4-byte field.</summary>
    public const int HeaderLength = 8;
    private readonly ReadOnlySpan<byte> _b;
    /// <summary>Views <paramref name="bytes"/> (the upper-layer payload) as a message; check <see cref="IsComplete"/>
    /// first.</summary>
    public Icmpv6Packet(ReadOnlySpan<byte> bytes) => _b = bytes;

    /// <summary>True when the span holds at least the 8-byte header.</summary>
    public bool IsComplete => _b.Length >= HeaderLength;
    /// <summary>The whole message.</summary>
    public ReadOnlySpan<byte> Bytes => _b;
    /// <summary>Message type; may be a value not in <see cref="Icmpv6Type"/>.</summary>
    public Icmpv6Type Type => (Icmpv6Type)_b[0];
    /// <summary>Subtype of <see cref="Type"/>.</summary>
    public byte Code => _b[1];
    /// <summary>Checksum field as read big-endian.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_b[2..]);
    /// <summary>Echo identifier (bytes 4–5).</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_b[4..]);
    /// <summary>Echo sequence number (bytes 6–7).</summary>
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_b[6..]);
    /// <summary>MTU of a Packet Too Big message (bytes 4–7).</summary>
    public uint Mtu => BinaryPrimitives.ReadUInt32BigEndian(_b[4..]);
    /// <summary>Pointer of a Parameter Problem message: offset of the offending byte in the quoted packet.</summary>
    public uint Pointer => BinaryPrimitives.ReadUInt32BigEndian(_b[4..]);
    /// <summary>Bytes after the 8-byte header: echo data, or the quoted packet of an error.</summary>
    public ReadOnlySpan<byte> Data => _b[HeaderLength..];
    /// <summary>True for error messages (types below 128, RFC 4443 §2.1), which are never answered with an error.</summary>
    public bool IsError => _b[0] < 128;

    /// <summary>True when the checksum over the pseudo-header (RFC 8200 §8.1) and the message verifies.</summary>
    public bool IsChecksumValid(Ipv6Address source, Ipv6Address destination) =>
        Wire.Checksum.IsValid(Wire.Checksum.Accumulate(
            Wire.Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Icmpv6, _b.Length), _b));

    /// <summary>Writes type, code and the 4-byte field, then checksums the whole message already in place.</summary>
    public static void WriteHeaderAndChecksum(Span<byte> message, Icmpv6Type type, byte code, uint field,
        Ipv6Address source, Ipv6Address destination)
    {
        message[0] = (byte)type;
        message[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(message[4..], field);
        WriteChecksum(message, source, destination);
    }

    /// <summary>Computes the checksum of a message whose every other byte is in place and writes it.</summary>
    public static void WriteChecksum(Span<byte> message, Ipv6Address source, Ipv6Address destination)
    {
        message[2] = 0;
        message[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], Wire.Checksum.Fold(Wire.Checksum.Accumulate(
            Wire.Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Icmpv6, message.Length), message)));
    }

    /// <summary>The 4-byte field of an echo message: identifier and sequence.</summary>
    public static uint EchoField(ushort identifier, ushort sequence) => ((uint)identifier << 16) | sequence;
}
