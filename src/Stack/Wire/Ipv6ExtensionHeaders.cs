using System.Buffers.Binary;

namespace Netstack.Wire;

/// <summary>The extension headers of RFC 8200 §4 and how long each is.</summary>
public static class Ipv6ExtensionHeaders
{
    /// <summary>True for the extension headers this stack walks: hop-by-hop options, routing, fragment and
    /// destination options.</summary>
    public static bool IsExtensionHeader(IpProtocol header) => header is IpProtocol.Ipv6HopByHop or IpProtocol.Ipv6Routing
        or IpProtocol.Ipv6Fragment or IpProtocol.Ipv6DestinationOptions;

    /// <summary>The length in bytes of the extension header at the start of <paramref name="b"/>: 8 for a fragment
    /// header, (Hdr Ext Len + 1) × 8 for the others; -1 when fewer than 2 bytes (or 8 for a fragment header) are
    /// there to say.</summary>
    public static int LengthOf(IpProtocol header, ReadOnlySpan<byte> b)
    {
        if (header == IpProtocol.Ipv6Fragment) return b.Length >= Ipv6FragmentHeader.Length ? Ipv6FragmentHeader.Length : -1;
        return b.Length >= 2 ? (b[1] + 1) * 8 : -1;
    }
}

/// <summary>View over a fragment header (RFC 8200 §4.5): 8 bytes.</summary>
public readonly ref struct Ipv6FragmentHeader
{
    /// <summary>Size in bytes of the header.</summary>
    public const int Length = 8;
    private readonly ReadOnlySpan<byte> _b;
    /// <summary>Views the first 8 bytes of <paramref name="bytes"/>; the caller checked the length.</summary>
    public Ipv6FragmentHeader(ReadOnlySpan<byte> bytes) => _b = bytes;

    /// <summary>Type of the header after this one (in the reassembled packet: the fragmentable part's first).</summary>
    public IpProtocol NextHeader => (IpProtocol)_b[0];
    /// <summary>Offset in bytes of this fragment's data in the fragmentable part (the field counts 8-byte units).</summary>
    public int FragmentOffset => BinaryPrimitives.ReadUInt16BigEndian(_b[2..]) & 0xFFF8;
    /// <summary>M flag: more fragments follow.</summary>
    public bool MoreFragments => (_b[3] & 1) != 0;
    /// <summary>Identification, shared by the fragments of one packet.</summary>
    public uint Identification => BinaryPrimitives.ReadUInt32BigEndian(_b[4..]);
    /// <summary>An atomic fragment (RFC 6946): offset 0 and no more fragments, a whole packet in one.</summary>
    public bool IsAtomic => FragmentOffset == 0 && !MoreFragments;

    /// <summary>Writes a fragment header into the first 8 bytes of <paramref name="b"/>.</summary>
    public static void Write(Span<byte> b, IpProtocol nextHeader, int fragmentOffset, bool moreFragments, uint identification)
    {
        b[0] = (byte)nextHeader;
        b[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(b[2..], (ushort)((fragmentOffset & 0xFFF8) | (moreFragments ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], identification);
    }
}

/// <summary>View over a routing header (RFC 8200 §4.4).</summary>
public readonly ref struct Ipv6RoutingHeader
{
    private readonly ReadOnlySpan<byte> _b;
    /// <summary>Views a routing header of at least 4 bytes.</summary>
    public Ipv6RoutingHeader(ReadOnlySpan<byte> bytes) => _b = bytes;
    /// <summary>Routing Type; 0 is deprecated (RFC 5095) and refused.</summary>
    public byte RoutingType => _b[2];
    /// <summary>Route segments still to visit.</summary>
    public byte SegmentsLeft => _b[3];
}

/// <summary>What a node does with an option it does not recognise: the two high bits of its type
/// (RFC 8200 §4.2).</summary>
public enum Ipv6UnknownOptionAction
{
    /// <summary>00: skip it and go on.</summary>
    Skip = 0,
    /// <summary>01: discard the packet silently.</summary>
    Discard = 1,
    /// <summary>10: discard and send a Parameter Problem (code 2) whatever the destination.</summary>
    DiscardAndReport = 2,
    /// <summary>11: discard and send a Parameter Problem (code 2) unless the destination was multicast.</summary>
    DiscardAndReportUnlessMulticast = 3,
}

/// <summary>One option of a hop-by-hop or destination options header (type-length-value).</summary>
/// <param name="Type">Option type; its two high bits are the <see cref="Ipv6UnknownOptionAction"/>.</param>
/// <param name="Offset">Offset of the option's type byte from the start of its extension header.</param>
/// <param name="DataLength">Bytes of option data.</param>
public readonly record struct Ipv6Option(byte Type, int Offset, int DataLength)
{
    /// <summary>Pad1: a single byte of padding.</summary>
    public const byte Pad1 = 0;
    /// <summary>PadN: padding of 2 or more bytes.</summary>
    public const byte PadN = 1;
    /// <summary>Router Alert (RFC 2711): a router must look at the packet (MLD uses it).</summary>
    public const byte RouterAlert = 5;
    /// <summary>What to do with this option if it is not recognised.</summary>
    public Ipv6UnknownOptionAction UnknownAction => (Ipv6UnknownOptionAction)(Type >> 6);
}

/// <summary>Walks the options of a hop-by-hop or destination options header (RFC 8200 §4.2).</summary>
public ref struct Ipv6OptionReader
{
    private readonly ReadOnlySpan<byte> _header;
    private int _at;

    /// <summary>Reads the options of <paramref name="header"/>: a whole options header, its first two bytes (next
    /// header, length) included.</summary>
    public Ipv6OptionReader(ReadOnlySpan<byte> header)
    {
        _header = header;
        _at = 2;
    }

    /// <summary>Set when an option ran past the end of the header.</summary>
    public bool IsMalformed { get; private set; }

    /// <summary>The next option, padding included; false at the end or when malformed.</summary>
    public bool TryNext(out Ipv6Option option)
    {
        option = default;
        if (_at >= _header.Length) return false;
        byte type = _header[_at];
        if (type == Ipv6Option.Pad1)
        {
            option = new Ipv6Option(type, _at, 0);
            _at++;
            return true;
        }
        if (_at + 2 > _header.Length || _at + 2 + _header[_at + 1] > _header.Length)
        {
            IsMalformed = true;
            return false;
        }
        option = new Ipv6Option(type, _at, _header[_at + 1]);
        _at += 2 + option.DataLength;
        return true;
    }
}
