using System.Buffers.Binary;

namespace Netstack.Wire;

public enum IcmpType : byte
{
    EchoReply = 0,
    DestinationUnreachable = 3,
    SourceQuench = 4,
    Redirect = 5,
    EchoRequest = 8,
    TimeExceeded = 11,
    ParameterProblem = 12,
}

/// <summary>Codes of Destination Unreachable (RFC 792, RFC 1122 §3.2.2.1).</summary>
public enum UnreachableCode : byte
{
    Network = 0,
    Host = 1,
    Protocol = 2,
    Port = 3,
    FragmentationNeeded = 4,
    SourceRouteFailed = 5,
}

/// <summary>View over an ICMPv4 message (RFC 792): 8-byte header, then data.</summary>
public readonly ref struct IcmpPacket
{
    public const int HeaderLength = 8;
    private readonly ReadOnlySpan<byte> _b;
    public IcmpPacket(ReadOnlySpan<byte> bytes) => _b = bytes;

    public bool IsComplete => _b.Length >= HeaderLength;
    public IcmpType Type => (IcmpType)_b[0];
    public byte Code => _b[1];
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_b[2..]);
    /// <summary>Echo identifier (bytes 4–5).</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_b[4..]);
    /// <summary>Echo sequence number (bytes 6–7).</summary>
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_b[6..]);
    /// <summary>Next-hop MTU of a Fragmentation Needed message (RFC 1191).</summary>
    public ushort NextHopMtu => BinaryPrimitives.ReadUInt16BigEndian(_b[6..]);
    public ReadOnlySpan<byte> Data => _b[HeaderLength..];
    public bool IsChecksumValid => Wire.Checksum.Compute(_b) == 0;

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
