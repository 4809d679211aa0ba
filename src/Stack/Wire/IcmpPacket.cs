using System.Buffers.Binary;

namespace Netstack.Wire;

/// <summary>ICMPv4 message types (RFC 792) the stack recognises.</summary>
public enum IcmpType : byte
{
    /// <summary>Answer to an echo request (ping reply).</summary>
    EchoReply = 0,
    /// <summary>A datagram could not be delivered; the code is an <see cref="UnreachableCode"/>.</summary>
    DestinationUnreachable = 3,
    /// <summary>Deprecated congestion signal (RFC 6633); delivered like the other errors, never sent.</summary>
    SourceQuench = 4,
    /// <summary>Better first hop advice from a router; not acted on.</summary>
    Redirect = 5,
    /// <summary>Ping request; answered with an <see cref="EchoReply"/>.</summary>
    EchoRequest = 8,
    /// <summary>TTL expired in transit (code 0) or fragment reassembly timed out (code 1).</summary>
    TimeExceeded = 11,
    /// <summary>A header field was invalid; the pointer names the offending byte.</summary>
    ParameterProblem = 12,
}

/// <summary>Codes of Destination Unreachable (RFC 792, RFC 1122 §3.2.2.1).</summary>
public enum UnreachableCode : byte
{
    /// <summary>Network unreachable.</summary>
    Network = 0,
    /// <summary>Host unreachable.</summary>
    Host = 1,
    /// <summary>The destination does not implement the IP protocol.</summary>
    Protocol = 2,
    /// <summary>No socket listens on the destination UDP/TCP port.</summary>
    Port = 3,
    /// <summary>The datagram needs fragmenting but had DF set; carries the next-hop MTU (RFC 1191).</summary>
    FragmentationNeeded = 4,
    /// <summary>A source route could not be followed.</summary>
    SourceRouteFailed = 5,
}

/// <summary>View over an ICMPv4 message (RFC 792): 8-byte header, then data.</summary>
public readonly ref struct IcmpPacket
{
    /// <summary>Size in bytes of the ICMP header: type, code, checksum and the 4-byte rest-of-header.</summary>
    public const int HeaderLength = 8;
    private readonly ReadOnlySpan<byte> _b;
    /// <summary>Views <paramref name="bytes"/> (the IPv4 payload) as an ICMP message; check <see cref="IsComplete"/>
    /// first.</summary>
    public IcmpPacket(ReadOnlySpan<byte> bytes) => _b = bytes;

    /// <summary>True when the span holds at least the 8-byte header.</summary>
    public bool IsComplete => _b.Length >= HeaderLength;
    /// <summary>Message type (byte 0); may be a value not in <see cref="IcmpType"/>.</summary>
    public IcmpType Type => (IcmpType)_b[0];
    /// <summary>Subtype of <see cref="Type"/> (byte 1), e.g. an <see cref="UnreachableCode"/>.</summary>
    public byte Code => _b[1];
    /// <summary>Checksum field as read big-endian (bytes 2–3).</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_b[2..]);
    /// <summary>Echo identifier (bytes 4–5).</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_b[4..]);
    /// <summary>Echo sequence number (bytes 6–7).</summary>
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_b[6..]);
    /// <summary>Next-hop MTU of a Fragmentation Needed message (RFC 1191).</summary>
    public ushort NextHopMtu => BinaryPrimitives.ReadUInt16BigEndian(_b[6..]);
    /// <summary>Bytes after the header: echo payload, or the offending datagram's header and first 8 bytes for
    /// errors.</summary>
    public ReadOnlySpan<byte> Data => _b[HeaderLength..];
    /// <summary>True when the Internet checksum over the whole message (RFC 1071) verifies.</summary>
    public bool IsChecksumValid => Wire.Checksum.Compute(_b) == 0;

    /// <summary>True for error messages (unreachable, time exceeded, parameter problem, source quench), which must
    /// never be answered with an ICMP error (RFC 1122 §3.2.2).</summary>
    public bool IsError => Type is IcmpType.DestinationUnreachable or IcmpType.TimeExceeded
        or IcmpType.ParameterProblem or IcmpType.SourceQuench;

    /// <summary>Writes the header with rest-of-header bytes 4–7, then checksums header+data already in place.</summary>
    public static void WriteHeaderAndChecksum(Span<byte> message, IcmpType type, byte code, ushort word1, ushort word2)
    {
        message[0] = (byte)type;
        message[1] = code;
        message[2] = 0;
        message[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(message[4..], word1);
        BinaryPrimitives.WriteUInt16BigEndian(message[6..], word2);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], Wire.Checksum.Compute(message));
    }
}
