using System.Buffers.Binary;

namespace Netstack.Wire;

/// <summary>EtherType values (IEEE 802.3 / IANA) of the Ethernet II type field.</summary>
public enum EtherType : ushort
{
    /// <summary>IPv4 (RFC 791).</summary>
    Ipv4 = 0x0800,
    /// <summary>ARP (RFC 826).</summary>
    Arp = 0x0806,
    /// <summary>IPv6 (RFC 2464); frames to an interface without IPv6 enabled are dropped as
    /// <c>EthernetUnknownType</c>.</summary>
    Ipv6 = 0x86DD,
}

/// <summary>View over an Ethernet II frame (no preamble, no FCS, as taps and pcap show it).</summary>
public readonly ref struct EthernetFrame
{
    /// <summary>Ethernet II header size in bytes: destination, source, EtherType.</summary>
    public const int HeaderLength = 14;
    /// <summary>Minimum frame length without FCS; shorter frames are padded on send.</summary>
    public const int MinimumLength = 60;

    private readonly ReadOnlySpan<byte> _b;

    /// <summary>Views <paramref name="bytes"/> as a frame; nothing is validated until <see cref="IsComplete"/> is
    /// checked.</summary>
    public EthernetFrame(ReadOnlySpan<byte> bytes) => _b = bytes;

    /// <summary>True when the span holds at least a full header.</summary>
    public bool IsComplete => _b.Length >= HeaderLength;

    /// <summary>Destination MAC address (bytes 0–5).</summary>
    public MacAddress Destination => MacAddress.Read(_b);
    /// <summary>Source MAC address (bytes 6–11).</summary>
    public MacAddress Source => MacAddress.Read(_b[6..]);
    /// <summary>Type of the payload (bytes 12–13, big-endian); may be a value not in
    /// <see cref="Wire.EtherType"/>.</summary>
    public EtherType EtherType => (EtherType)BinaryPrimitives.ReadUInt16BigEndian(_b[12..]);
    /// <summary>Everything after the header, including any link padding.</summary>
    public ReadOnlySpan<byte> Payload => _b[HeaderLength..];

    /// <summary>Writes the 14-byte header into the start of <paramref name="b"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="b"/> is shorter than
    /// <see cref="HeaderLength"/>.</exception>
    public static void WriteHeader(Span<byte> b, MacAddress destination, MacAddress source, EtherType type)
    {
        destination.Write(b);
        source.Write(b[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(b[12..], (ushort)type);
    }
}
