using System.Buffers.Binary;

namespace Netstack.Wire;

public enum EtherType : ushort
{
    Ipv4 = 0x0800,
    Arp = 0x0806,
    Ipv6 = 0x86DD,
}

/// <summary>View over an Ethernet II frame (no preamble, no FCS, as taps and pcap show it).</summary>
public readonly ref struct EthernetFrame
{
    public const int HeaderLength = 14;
    /// <summary>Minimum frame length without FCS; shorter frames are padded on send.</summary>
    public const int MinimumLength = 60;

    private readonly ReadOnlySpan<byte> _b;

    public EthernetFrame(ReadOnlySpan<byte> bytes) => _b = bytes;

    /// <summary>True when the span holds at least a full header.</summary>
    public bool IsComplete => _b.Length >= HeaderLength;

    public MacAddress Destination => MacAddress.Read(_b);
    public MacAddress Source => MacAddress.Read(_b[6..]);
    public EtherType EtherType => (EtherType)BinaryPrimitives.ReadUInt16BigEndian(_b[12..]);
    public ReadOnlySpan<byte> Payload => _b[HeaderLength..];

    public static void WriteHeader(Span<byte> b, MacAddress destination, MacAddress source, EtherType type)
    {
        destination.Write(b);
        source.Write(b[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(b[12..], (ushort)type);
    }
}
