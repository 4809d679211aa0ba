using System.Buffers.Binary;

namespace Netstack.Wire;

/// <summary>View over an IPv4 datagram (RFC 791). Accessors read the bytes in place.</summary>
public readonly ref struct Ipv4Packet
{
    /// <summary>Size in bytes of a header without options (IHL 5).</summary>
    public const int MinHeaderLength = 20;
    /// <summary>Largest datagram in bytes the 16-bit Total Length field can express.</summary>
    public const int MaxTotalLength = 65535;

    private readonly ReadOnlySpan<byte> _b;
    /// <summary>Views <paramref name="bytes"/> (an Ethernet payload) as a datagram; call <see cref="Validate"/> before
    /// trusting any accessor.</summary>
    public Ipv4Packet(ReadOnlySpan<byte> bytes) => _b = bytes;

    /// <param name="transportChecksumVerified">See <see cref="TransportChecksumVerified"/>.</param>
    /// <summary>Views <paramref name="bytes"/> as a datagram, with receive metadata from the device.</summary>
    /// <param name="bytes">The datagram, starting at its IPv4 header.</param>
    public Ipv4Packet(ReadOnlySpan<byte> bytes, bool transportChecksumVerified)
    {
        _b = bytes;
        TransportChecksumVerified = transportChecksumVerified;
    }

    /// <summary>Receive metadata, not a header field: the device that delivered this datagram has verified
    /// (or completed) its TCP/UDP/ICMP checksum, so the protocol above skips summing it again (checksum offload).</summary>
    public bool TransportChecksumVerified { get; }

    /// <summary>The whole viewed span, including any link padding after <see cref="TotalLength"/>.</summary>
    public ReadOnlySpan<byte> Bytes => _b;
    /// <summary>Version field (high nibble of byte 0); 4 for a valid datagram.</summary>
    public int Version => _b[0] >> 4;
    /// <summary>Header length in bytes, options included (the IHL field counts 32-bit words).</summary>
    public int HeaderLength => (_b[0] & 0x0F) * 4;
    /// <summary>TOS/DSCP+ECN byte (byte 1).</summary>
    public byte TypeOfService => _b[1];
    /// <summary>Total Length field: header plus payload in bytes.</summary>
    public int TotalLength => BinaryPrimitives.ReadUInt16BigEndian(_b[2..]);
    /// <summary>Identification field, shared by all fragments of one datagram.</summary>
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_b[4..]);
    /// <summary>DF flag: routers must not fragment; they answer with Fragmentation Needed instead.</summary>
    public bool DontFragment => (_b[6] & 0x40) != 0;
    /// <summary>MF flag: more fragments of this datagram follow.</summary>
    public bool MoreFragments => (_b[6] & 0x20) != 0;
    /// <summary>Fragment offset in bytes (the field counts 8-byte units).</summary>
    public int FragmentOffset => (BinaryPrimitives.ReadUInt16BigEndian(_b[6..]) & 0x1FFF) * 8;
    /// <summary>True when this is part of a fragmented datagram (MF set or a non-zero offset).</summary>
    public bool IsFragment => MoreFragments || FragmentOffset != 0;
    /// <summary>TTL in hops.</summary>
    public byte TimeToLive => _b[8];
    /// <summary>Protocol number of the payload; may be a value not in <see cref="IpProtocol"/>.</summary>
    public IpProtocol Protocol => (IpProtocol)_b[9];
    /// <summary>Header checksum field as read big-endian.</summary>
    public ushort HeaderChecksum => BinaryPrimitives.ReadUInt16BigEndian(_b[10..]);
    /// <summary>Source address.</summary>
    public Ipv4Address Source => Ipv4Address.Read(_b[12..]);
    /// <summary>Destination address.</summary>
    public Ipv4Address Destination => Ipv4Address.Read(_b[16..]);
    /// <summary>The header bytes, options included.</summary>
    public ReadOnlySpan<byte> Header => _b[..HeaderLength];
    /// <summary>The options bytes between the fixed 20-byte header and the payload (empty when IHL is 5).</summary>
    public ReadOnlySpan<byte> Options => _b[MinHeaderLength..HeaderLength];
    /// <summary>The payload as bounded by Total Length (link padding excluded).</summary>
    public ReadOnlySpan<byte> Payload => _b[HeaderLength..TotalLength];

    /// <summary>Checks what must hold before any other accessor may be trusted (RFC 1122 §3.2.1.1–2).</summary>
    public Ipv4Malformation Validate()
    {
        if (_b.Length < MinHeaderLength) return Ipv4Malformation.Truncated;
        if (Version != 4) return Ipv4Malformation.BadVersion;
        int ihl = HeaderLength;
        if (ihl < MinHeaderLength) return Ipv4Malformation.BadHeaderLength;
        if (ihl > _b.Length) return Ipv4Malformation.Truncated;
        int total = TotalLength;
        if (total < ihl) return Ipv4Malformation.BadTotalLength;
        if (total > _b.Length) return Ipv4Malformation.TotalLengthBeyondFrame;
        if (Checksum.Compute(_b[..ihl]) != 0) return Ipv4Malformation.BadChecksum;
        // The datagram this fragment belongs to is at least this fragment's header (options copied into every
        // fragment are in the first one too, RFC 791 §3.1) plus everything up to its end. Only a lower bound:
        // the reassembler checks the real first header against the real total.
        if (FragmentOffset + total > MaxTotalLength) return Ipv4Malformation.FragmentTooLarge;
        return Ipv4Malformation.None;
    }

    /// <summary>Writes a 20-byte header (no options) and its checksum.</summary>
    public static void WriteHeader(Span<byte> b, in Ipv4Header h)
    {
        b[0] = 0x45;
        b[1] = h.TypeOfService;
        BinaryPrimitives.WriteUInt16BigEndian(b[2..], (ushort)h.TotalLength);
        BinaryPrimitives.WriteUInt16BigEndian(b[4..], h.Identification);
        ushort flagsFrag = (ushort)((h.DontFragment ? 0x4000 : 0) | (h.MoreFragments ? 0x2000 : 0) | (h.FragmentOffset / 8));
        BinaryPrimitives.WriteUInt16BigEndian(b[6..], flagsFrag);
        b[8] = h.TimeToLive;
        b[9] = (byte)h.Protocol;
        b[10] = 0;
        b[11] = 0;
        h.Source.Write(b[12..]);
        h.Destination.Write(b[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(b[10..], Checksum.Compute(b[..MinHeaderLength]));
    }
}

/// <summary>The fields of an IPv4 header to emit.</summary>
/// <param name="Source">Source address.</param>
/// <param name="Destination">Destination address.</param>
/// <param name="Protocol">Protocol of the payload.</param>
/// <param name="TotalLength">Header (20 bytes) plus payload, in bytes.</param>
/// <param name="Identification">Identification field; the same for all fragments of one datagram.</param>
/// <param name="TimeToLive">TTL in hops.</param>
/// <param name="DontFragment">DF flag.</param>
/// <param name="MoreFragments">MF flag.</param>
/// <param name="FragmentOffset">Offset of this fragment's payload in bytes; a multiple of 8.</param>
/// <param name="TypeOfService">TOS/DSCP+ECN byte.</param>
public readonly record struct Ipv4Header(
    Ipv4Address Source,
    Ipv4Address Destination,
    IpProtocol Protocol,
    int TotalLength,
    ushort Identification,
    byte TimeToLive = 64,
    bool DontFragment = false,
    bool MoreFragments = false,
    int FragmentOffset = 0,
    byte TypeOfService = 0);

/// <summary>Why <see cref="Ipv4Packet.Validate"/> rejected a datagram (the first check that failed).</summary>
public enum Ipv4Malformation
{
    /// <summary>The header is well-formed and its checksum verifies.</summary>
    None,
    /// <summary>Fewer bytes than the 20-byte minimum header or than the header length field claims.</summary>
    Truncated,
    /// <summary>Version field is not 4.</summary>
    BadVersion,
    /// <summary>IHL below 5 (a header shorter than 20 bytes).</summary>
    BadHeaderLength,
    /// <summary>Total Length is smaller than the header length.</summary>
    BadTotalLength,
    /// <summary>Total Length claims more bytes than the frame carried.</summary>
    TotalLengthBeyondFrame,
    /// <summary>The header checksum does not verify.</summary>
    BadChecksum,
    /// <summary>Fragment offset plus length exceeds 65535 bytes (the "ping of death").</summary>
    FragmentTooLarge,
}
