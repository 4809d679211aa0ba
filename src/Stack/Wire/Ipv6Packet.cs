using System.Buffers.Binary;

namespace Netstack.Wire;

/// <summary>View over an IPv6 packet (RFC 8200 §3): the fixed 40-byte header, then extension headers and the
/// upper-layer payload. Accessors read the bytes in place.</summary>
public readonly ref struct Ipv6Packet
{
    /// <summary>Size in bytes of the fixed header.</summary>
    public const int HeaderLength = 40;
    /// <summary>Every IPv6 link carries packets of this size (RFC 8200 §5); no packet is fragmented smaller.</summary>
    public const int MinimumMtu = 1280;
    /// <summary>Largest payload in bytes the 16-bit Payload Length field can express (no jumbograms).</summary>
    public const int MaxPayloadLength = 65535;

    private readonly ReadOnlySpan<byte> _b;

    /// <summary>Views <paramref name="bytes"/> (an Ethernet payload) as a packet; call <see cref="Validate"/> before
    /// trusting any accessor.</summary>
    public Ipv6Packet(ReadOnlySpan<byte> bytes) => _b = bytes;

    /// <summary>The whole viewed span, including any link padding after the payload.</summary>
    public ReadOnlySpan<byte> Bytes => _b;
    /// <summary>Version field (high nibble of byte 0); 6 for a valid packet.</summary>
    public int Version => _b[0] >> 4;
    /// <summary>Traffic Class (DSCP and ECN).</summary>
    public byte TrafficClass => (byte)((BinaryPrimitives.ReadUInt16BigEndian(_b) >> 4) & 0xFF);
    /// <summary>Flow Label, 20 bits.</summary>
    public int FlowLabel => (int)(BinaryPrimitives.ReadUInt32BigEndian(_b) & 0xF_FFFF);
    /// <summary>Payload Length: bytes after the fixed header, extension headers included.</summary>
    public int PayloadLength => BinaryPrimitives.ReadUInt16BigEndian(_b[4..]);
    /// <summary>Type of the first header after the fixed one: an extension header or an upper-layer protocol.</summary>
    public IpProtocol NextHeader => (IpProtocol)_b[6];
    /// <summary>Hop Limit.</summary>
    public byte HopLimit => _b[7];
    /// <summary>Source address.</summary>
    public Ipv6Address Source => Ipv6Address.Read(_b[8..]);
    /// <summary>Destination address.</summary>
    public Ipv6Address Destination => Ipv6Address.Read(_b[24..]);
    /// <summary>The fixed header bytes.</summary>
    public ReadOnlySpan<byte> Header => _b[..HeaderLength];
    /// <summary>Everything after the fixed header as bounded by Payload Length (link padding excluded).</summary>
    public ReadOnlySpan<byte> Payload => _b.Slice(HeaderLength, PayloadLength);
    /// <summary>The packet as bounded by Payload Length: fixed header plus payload.</summary>
    public ReadOnlySpan<byte> Datagram => _b[..(HeaderLength + PayloadLength)];

    /// <summary>Checks what must hold before any other accessor may be trusted.</summary>
    public Ipv6Malformation Validate()
    {
        if (_b.Length < HeaderLength) return Ipv6Malformation.Truncated;
        if (Version != 6) return Ipv6Malformation.BadVersion;
        if (HeaderLength + PayloadLength > _b.Length) return Ipv6Malformation.PayloadLengthBeyondFrame;
        return Ipv6Malformation.None;
    }

    /// <summary>Writes the 40-byte fixed header into the start of <paramref name="b"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="b"/> is shorter than
    /// <see cref="HeaderLength"/>.</exception>
    public static void WriteHeader(Span<byte> b, in Ipv6Header h)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, 0x6000_0000u | ((uint)h.TrafficClass << 20) | ((uint)h.FlowLabel & 0xF_FFFF));
        BinaryPrimitives.WriteUInt16BigEndian(b[4..], (ushort)h.PayloadLength);
        b[6] = (byte)h.NextHeader;
        b[7] = h.HopLimit;
        h.Source.Write(b[8..]);
        h.Destination.Write(b[24..]);
    }
}

/// <summary>The fields of an IPv6 fixed header to emit.</summary>
/// <param name="Source">Source address.</param>
/// <param name="Destination">Destination address.</param>
/// <param name="NextHeader">Type of the header that follows.</param>
/// <param name="PayloadLength">Bytes after the fixed header.</param>
/// <param name="HopLimit">Hop Limit.</param>
/// <param name="TrafficClass">Traffic Class.</param>
/// <param name="FlowLabel">Flow Label (20 bits).</param>
public readonly record struct Ipv6Header(
    Ipv6Address Source,
    Ipv6Address Destination,
    IpProtocol NextHeader,
    int PayloadLength,
    byte HopLimit = 64,
    byte TrafficClass = 0,
    int FlowLabel = 0);

/// <summary>Why <see cref="Ipv6Packet.Validate"/> rejected a packet (the first check that failed).</summary>
public enum Ipv6Malformation
{
    /// <summary>The fixed header is complete and consistent with the frame.</summary>
    None,
    /// <summary>Fewer than 40 bytes.</summary>
    Truncated,
    /// <summary>Version field is not 6.</summary>
    BadVersion,
    /// <summary>Payload Length claims more bytes than the frame carried.</summary>
    PayloadLengthBeyondFrame,
}
