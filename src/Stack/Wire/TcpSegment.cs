using System.Buffers.Binary;

namespace Netstack.Wire;

[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
    Urg = 0x20,
    Ece = 0x40,
    Cwr = 0x80,
}

/// <summary>View over a TCP segment (RFC 9293 §3.1).</summary>
public readonly ref struct TcpSegment
{
    public const int MinHeaderLength = 20;
    public const int MaxHeaderLength = 60;
    private readonly ReadOnlySpan<byte> _b;
    public TcpSegment(ReadOnlySpan<byte> bytes) => _b = bytes;

    public ReadOnlySpan<byte> Bytes => _b;
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_b);
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_b[2..]);
    public uint SequenceNumber => BinaryPrimitives.ReadUInt32BigEndian(_b[4..]);
    public uint AcknowledgmentNumber => BinaryPrimitives.ReadUInt32BigEndian(_b[8..]);
    public int HeaderLength => (_b[12] >> 4) * 4;
    public TcpFlags Flags => (TcpFlags)_b[13];
    public ushort Window => BinaryPrimitives.ReadUInt16BigEndian(_b[14..]);
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_b[16..]);
    public ushort UrgentPointer => BinaryPrimitives.ReadUInt16BigEndian(_b[18..]);
    public ReadOnlySpan<byte> Options => _b[MinHeaderLength..HeaderLength];
    public ReadOnlySpan<byte> Payload => _b[HeaderLength..];

    public bool IsWellFormed => _b.Length >= MinHeaderLength && HeaderLength >= MinHeaderLength && HeaderLength <= _b.Length;

    public bool IsChecksumValid(Ipv4Address source, Ipv4Address destination) =>
        Wire.Checksum.IsValid(Wire.Checksum.Accumulate(
            Wire.Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Tcp, _b.Length), _b));

    /// <summary>Writes the fixed header (options must already be in place after it, payload after those)
    /// and the checksum over the whole segment.</summary>
    public static void WriteHeader(Span<byte> segment, in TcpHeader header, Ipv4Address source, Ipv4Address destination)
    {
        WriteFields(segment, header);
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], Wire.Checksum.Fold(Wire.Checksum.Accumulate(
            Wire.Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Tcp, segment.Length), segment)));
    }

    /// <summary>Like <see cref="WriteHeader(Span{byte}, in TcpHeader, Ipv4Address, Ipv4Address)"/>, for a payload
    /// whose partial sum the caller already has (<see cref="Wire.Checksum.CopyAndAccumulate"/>): only the header
    /// and options are summed here. The payload starts at an even offset, so the sums add.</summary>
    public static void WriteHeader(Span<byte> segment, in TcpHeader header, Ipv4Address source, Ipv4Address destination,
        ulong payloadSum)
    {
        WriteFields(segment, header);
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], Wire.Checksum.Fold(Wire.Checksum.Accumulate(
            Wire.Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Tcp, segment.Length) + payloadSum,
            segment[..header.HeaderLength])));
    }

    private static void WriteFields(Span<byte> segment, in TcpHeader h)
    {
        BinaryPrimitives.WriteUInt16BigEndian(segment, h.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment[2..], h.DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(segment[4..], h.SequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(segment[8..], h.AcknowledgmentNumber);
        segment[12] = (byte)((h.HeaderLength / 4) << 4);
        segment[13] = (byte)h.Flags;
        BinaryPrimitives.WriteUInt16BigEndian(segment[14..], h.Window);
        segment[16] = 0;
        segment[17] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(segment[18..], h.UrgentPointer);
    }
}

/// <summary>The fixed TCP header fields to write (RFC 9293 §3.1); the checksum is computed on write.
/// <see cref="HeaderLength"/> includes the options, which the writer expects already in place.</summary>
public readonly record struct TcpHeader(
    ushort SourcePort,
    ushort DestinationPort,
    uint SequenceNumber,
    uint AcknowledgmentNumber,
    TcpFlags Flags,
    ushort Window,
    int HeaderLength = TcpSegment.MinHeaderLength,
    ushort UrgentPointer = 0);
