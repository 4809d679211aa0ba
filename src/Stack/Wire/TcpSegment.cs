using System.Buffers.Binary;

namespace Netstack.Wire;

/// <summary>TCP header control bits (RFC 9293 §3.1, RFC 3168 for ECE/CWR).</summary>
[Flags]
public enum TcpFlags : byte
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>No more data from sender.</summary>
    Fin = 0x01,
    /// <summary>Synchronize sequence numbers (opens a connection).</summary>
    Syn = 0x02,
    /// <summary>Reset the connection.</summary>
    Rst = 0x04,
    /// <summary>Push: deliver buffered data to the application.</summary>
    Psh = 0x08,
    /// <summary>The acknowledgment number is valid.</summary>
    Ack = 0x10,
    /// <summary>The urgent pointer is valid.</summary>
    Urg = 0x20,
    /// <summary>ECN echo (RFC 3168).</summary>
    Ece = 0x40,
    /// <summary>Congestion window reduced (RFC 3168).</summary>
    Cwr = 0x80,
}

/// <summary>View over a TCP segment (RFC 9293 §3.1).</summary>
public readonly ref struct TcpSegment
{
    /// <summary>Size in bytes of a header without options (data offset 5).</summary>
    public const int MinHeaderLength = 20;
    /// <summary>Largest header in bytes (data offset 15): 40 bytes of options.</summary>
    public const int MaxHeaderLength = 60;
    private readonly ReadOnlySpan<byte> _b;
    /// <summary>Views <paramref name="bytes"/> (the IPv4 payload) as a segment; check <see cref="IsWellFormed"/>
    /// first.</summary>
    public TcpSegment(ReadOnlySpan<byte> bytes) => _b = bytes;

    /// <summary>The whole segment: header, options and payload.</summary>
    public ReadOnlySpan<byte> Bytes => _b;
    /// <summary>Source port.</summary>
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_b);
    /// <summary>Destination port.</summary>
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_b[2..]);
    /// <summary>Sequence number of the first payload byte (or of the SYN).</summary>
    public uint SequenceNumber => BinaryPrimitives.ReadUInt32BigEndian(_b[4..]);
    /// <summary>Next sequence number the sender expects; valid only with <see cref="TcpFlags.Ack"/>.</summary>
    public uint AcknowledgmentNumber => BinaryPrimitives.ReadUInt32BigEndian(_b[8..]);
    /// <summary>Header length in bytes, options included (the data offset field counts 32-bit words).</summary>
    public int HeaderLength => (_b[12] >> 4) * 4;
    /// <summary>Control bits (byte 13).</summary>
    public TcpFlags Flags => (TcpFlags)_b[13];
    /// <summary>Receive window field, unscaled (RFC 7323 scaling is the connection's business).</summary>
    public ushort Window => BinaryPrimitives.ReadUInt16BigEndian(_b[14..]);
    /// <summary>Checksum field as read big-endian.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_b[16..]);
    /// <summary>Urgent pointer field: offset from <see cref="SequenceNumber"/>; meaningful only with
    /// <see cref="TcpFlags.Urg"/>.</summary>
    public ushort UrgentPointer => BinaryPrimitives.ReadUInt16BigEndian(_b[18..]);
    /// <summary>The options area between the fixed 20-byte header and the payload.</summary>
    public ReadOnlySpan<byte> Options => _b[MinHeaderLength..HeaderLength];
    /// <summary>The data after the header.</summary>
    public ReadOnlySpan<byte> Payload => _b[HeaderLength..];

    /// <summary>True when the data offset is at least 20 bytes and within the span, so the other accessors are
    /// safe.</summary>
    public bool IsWellFormed => _b.Length >= MinHeaderLength && HeaderLength >= MinHeaderLength && HeaderLength <= _b.Length;

    /// <summary>True when the checksum over the pseudo-header (RFC 9293 §3.1) and segment verifies.</summary>
    public bool IsChecksumValid(Ipv4Address source, Ipv4Address destination) =>
        Wire.Checksum.IsValid(Wire.Checksum.Accumulate(
            Wire.Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Tcp, _b.Length), _b));

    /// <summary>Like <see cref="IsChecksumValid(Ipv4Address, Ipv4Address)"/> for addresses of either family (the
    /// IPv6 pseudo-header of RFC 8200 §8.1 for IPv6).</summary>
    public bool IsChecksumValid(IpAddress source, IpAddress destination) =>
        Wire.Checksum.IsValid(Wire.Checksum.Accumulate(
            Wire.Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Tcp, _b.Length), _b));

    /// <summary>Like <see cref="WriteHeader(Span{byte}, in TcpHeader, Ipv4Address, Ipv4Address, ulong)"/> for
    /// addresses of either family.</summary>
    public static void WriteHeader(Span<byte> segment, in TcpHeader header, IpAddress source, IpAddress destination,
        ulong payloadSum = 0)
    {
        WriteFields(segment, header);
        int summed = payloadSum == 0 ? segment.Length : header.HeaderLength;
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], Wire.Checksum.Fold(Wire.Checksum.Accumulate(
            Wire.Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Tcp, segment.Length) + payloadSum,
            segment[..summed])));
    }

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
/// <param name="SourcePort">Source port.</param>
/// <param name="DestinationPort">Destination port.</param>
/// <param name="SequenceNumber">Sequence number.</param>
/// <param name="AcknowledgmentNumber">Acknowledgment number.</param>
/// <param name="Flags">Control bits.</param>
/// <param name="Window">Receive window field, already scaled down.</param>
/// <param name="HeaderLength">Header length in bytes including options; a multiple of 4, 20–60.</param>
/// <param name="UrgentPointer">Urgent pointer.</param>
public readonly record struct TcpHeader(
    ushort SourcePort,
    ushort DestinationPort,
    uint SequenceNumber,
    uint AcknowledgmentNumber,
    TcpFlags Flags,
    ushort Window,
    int HeaderLength = TcpSegment.MinHeaderLength,
    ushort UrgentPointer = 0);
