using System.Buffers.Binary;

namespace Netstack.Wire;

/// <summary>View over an IPv4 datagram (RFC 791). Accessors read the bytes in place.</summary>
public readonly ref struct Ipv4Packet
{
    public const int MinHeaderLength = 20;
    public const int MaxTotalLength = 65535;

    private readonly ReadOnlySpan<byte> _b;
    public Ipv4Packet(ReadOnlySpan<byte> bytes) => _b = bytes;

    /// <param name="transportChecksumVerified">See <see cref="TransportChecksumVerified"/>.</param>
    public Ipv4Packet(ReadOnlySpan<byte> bytes, bool transportChecksumVerified)
    {
        _b = bytes;
        TransportChecksumVerified = transportChecksumVerified;
    }

    /// <summary>Receive metadata, not a header field: the device that delivered this datagram has verified
    /// (or completed) its TCP/UDP checksum, so the transport skips summing it again (checksum offload).</summary>
    public bool TransportChecksumVerified { get; }

    public ReadOnlySpan<byte> Bytes => _b;
    public int Version => _b[0] >> 4;
    public int HeaderLength => (_b[0] & 0x0F) * 4;
    public byte TypeOfService => _b[1];
    public int TotalLength => BinaryPrimitives.ReadUInt16BigEndian(_b[2..]);
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_b[4..]);
    public bool DontFragment => (_b[6] & 0x40) != 0;
    public bool MoreFragments => (_b[6] & 0x20) != 0;
    /// <summary>Fragment offset in bytes (the field counts 8-byte units).</summary>
    public int FragmentOffset => (BinaryPrimitives.ReadUInt16BigEndian(_b[6..]) & 0x1FFF) * 8;
    public bool IsFragment => MoreFragments || FragmentOffset != 0;
    public byte TimeToLive => _b[8];
    public IpProtocol Protocol => (IpProtocol)_b[9];
    public ushort HeaderChecksum => BinaryPrimitives.ReadUInt16BigEndian(_b[10..]);
    public Ipv4Address Source => Ipv4Address.Read(_b[12..]);
    public Ipv4Address Destination => Ipv4Address.Read(_b[16..]);
    public ReadOnlySpan<byte> Header => _b[..HeaderLength];
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

public enum Ipv4Malformation
{
    None,
    Truncated,
    BadVersion,
    BadHeaderLength,
    BadTotalLength,
    TotalLengthBeyondFrame,
    BadChecksum,
    FragmentTooLarge,
}
