using System.Buffers.Binary;

namespace Netstack.Wire;

/// <summary>Neighbor Discovery option types (RFC 4861 §4.6).</summary>
public enum NdpOptionType : byte
{
    /// <summary>Source link-layer address: the sender's MAC.</summary>
    SourceLinkLayerAddress = 1,
    /// <summary>Target link-layer address: the target's MAC.</summary>
    TargetLinkLayerAddress = 2,
    /// <summary>Prefix information: an on-link prefix and/or one for address autoconfiguration.</summary>
    PrefixInformation = 3,
    /// <summary>Redirected header: the start of the packet a redirect was sent for.</summary>
    RedirectedHeader = 4,
    /// <summary>MTU of the link, from a router.</summary>
    Mtu = 5,
}

/// <summary>One option of a Neighbor Discovery message: type and its bytes (type and length included).</summary>
public readonly ref struct NdpOption
{
    private readonly ReadOnlySpan<byte> _b;
    /// <summary>Views one whole option (its length was checked by the reader).</summary>
    public NdpOption(ReadOnlySpan<byte> bytes) => _b = bytes;

    /// <summary>The option type; may be a value not in <see cref="NdpOptionType"/> (ignored, RFC 4861 §4.6).</summary>
    public NdpOptionType Type => (NdpOptionType)_b[0];
    /// <summary>The option's bytes, type and length included.</summary>
    public ReadOnlySpan<byte> Bytes => _b;
    /// <summary>The MAC of a link-layer address option; meaningful when the option is 8 bytes (Ethernet).</summary>
    public bool TryGetLinkLayerAddress(out MacAddress mac)
    {
        mac = default;
        if (_b.Length != 8) return false;
        mac = MacAddress.Read(_b[2..]);
        return true;
    }
    /// <summary>Prefix length of a prefix information option.</summary>
    public int PrefixLength => _b[2];
    /// <summary>L flag: the prefix is on-link.</summary>
    public bool OnLink => (_b[3] & 0x80) != 0;
    /// <summary>A flag: the prefix may be used for stateless address autoconfiguration.</summary>
    public bool Autonomous => (_b[3] & 0x40) != 0;
    /// <summary>Valid lifetime in seconds of a prefix (0xFFFFFFFF: forever).</summary>
    public uint ValidLifetime => BinaryPrimitives.ReadUInt32BigEndian(_b[4..]);
    /// <summary>Preferred lifetime in seconds of a prefix (0xFFFFFFFF: forever).</summary>
    public uint PreferredLifetime => BinaryPrimitives.ReadUInt32BigEndian(_b[8..]);
    /// <summary>The prefix of a prefix information option.</summary>
    public Ipv6Address Prefix => Ipv6Address.Read(_b[16..]);
    /// <summary>The MTU of an MTU option.</summary>
    public uint Mtu => BinaryPrimitives.ReadUInt32BigEndian(_b[4..]);
    /// <summary>True when the option is as long as its type requires: 32 bytes for prefix information, 8 for MTU,
    /// at least 8 for link-layer addresses.</summary>
    public bool HasValidLength => Type switch
    {
        NdpOptionType.PrefixInformation => _b.Length == 32,
        NdpOptionType.Mtu => _b.Length == 8,
        _ => true,
    };

    /// <summary>Writes a source or target link-layer address option (8 bytes) into <paramref name="b"/>.</summary>
    public static void WriteLinkLayerAddress(Span<byte> b, NdpOptionType type, MacAddress mac)
    {
        b[0] = (byte)type;
        b[1] = 1;
        mac.Write(b[2..]);
    }

    /// <summary>Writes a prefix information option (32 bytes) into <paramref name="b"/>.</summary>
    public static void WritePrefixInformation(Span<byte> b, Ipv6Address prefix, int prefixLength, bool onLink, bool autonomous,
        uint validLifetime, uint preferredLifetime)
    {
        b[..32].Clear();
        b[0] = (byte)NdpOptionType.PrefixInformation;
        b[1] = 4;
        b[2] = (byte)prefixLength;
        b[3] = (byte)((onLink ? 0x80 : 0) | (autonomous ? 0x40 : 0));
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], validLifetime);
        BinaryPrimitives.WriteUInt32BigEndian(b[8..], preferredLifetime);
        prefix.Write(b[16..]);
    }

    /// <summary>Writes an MTU option (8 bytes) into <paramref name="b"/>.</summary>
    public static void WriteMtu(Span<byte> b, uint mtu)
    {
        b[0] = (byte)NdpOptionType.Mtu;
        b[1] = 1;
        b[2] = 0;
        b[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], mtu);
    }
}

/// <summary>Walks the options area of a Neighbor Discovery message (RFC 4861 §4.6).</summary>
public ref struct NdpOptionReader
{
    private ReadOnlySpan<byte> _rest;

    /// <summary>Reads the options in <paramref name="options"/>.</summary>
    public NdpOptionReader(ReadOnlySpan<byte> options) => _rest = options;

    /// <summary>Set when an option has length 0 or runs past the end: the whole message must be discarded.</summary>
    public bool IsMalformed { get; private set; }

    /// <summary>The next option; false at the end or when malformed.</summary>
    public bool TryNext(out NdpOption option)
    {
        option = default;
        if (_rest.IsEmpty) return false;
        if (_rest.Length < 2 || _rest[1] == 0 || _rest[1] * 8 > _rest.Length)
        {
            IsMalformed = true;
            _rest = default;
            return false;
        }
        int length = _rest[1] * 8;
        option = new NdpOption(_rest[..length]);
        _rest = _rest[length..];
        return true;
    }

    /// <summary>Checks a whole options area: every option has a non-zero length within the area and known
    /// options have their required length.</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> options)
    {
        var reader = new NdpOptionReader(options);
        while (reader.TryNext(out var o))
            if (!o.HasValidLength) return false;
        return !reader.IsMalformed;
    }

    /// <summary>The MAC of the first link-layer address option of <paramref name="type"/>; false when there is
    /// none.</summary>
    public static bool TryFindLinkLayerAddress(ReadOnlySpan<byte> options, NdpOptionType type, out MacAddress mac)
    {
        mac = default;
        var reader = new NdpOptionReader(options);
        while (reader.TryNext(out var o))
            if (o.Type == type && o.TryGetLinkLayerAddress(out mac)) return true;
        return false;
    }
}

/// <summary>Layouts of the Neighbor Discovery messages (RFC 4861 §4), read from an <see cref="Icmpv6Packet"/>'s
/// bytes.</summary>
public static class Ndp
{
    /// <summary>Length in bytes of a Neighbor Solicitation or Advertisement before its options.</summary>
    public const int NeighborMessageLength = 24;
    /// <summary>Length in bytes of a Router Solicitation before its options.</summary>
    public const int RouterSolicitationLength = 8;
    /// <summary>Length in bytes of a Router Advertisement before its options.</summary>
    public const int RouterAdvertisementLength = 16;
    /// <summary>Length in bytes of a Redirect before its options.</summary>
    public const int RedirectLength = 40;

    /// <summary>Neighbor Advertisement R flag: the sender is a router.</summary>
    public const byte RouterFlag = 0x80;
    /// <summary>Neighbor Advertisement S flag: sent in answer to a solicitation.</summary>
    public const byte SolicitedFlag = 0x40;
    /// <summary>Neighbor Advertisement O flag: override an existing cache entry.</summary>
    public const byte OverrideFlag = 0x20;

    /// <summary>RFC 4861 §6.1.2, §8.1: a router's message (advertisement or redirect) comes from a link-local address,
    /// holds at least its <paramref name="fixedLength"/> bytes and has well-formed options (none of length 0).</summary>
    public static bool IsValidFromRouter(Ipv6Address source, ReadOnlySpan<byte> message, int fixedLength) =>
        source.IsLinkLocal && message.Length >= fixedLength && NdpOptionReader.IsWellFormed(message[fixedLength..]);

    /// <summary>Target address of a Neighbor Solicitation, Advertisement or Redirect.</summary>
    public static Ipv6Address Target(ReadOnlySpan<byte> message) => Ipv6Address.Read(message[8..]);
    /// <summary>Destination address of a Redirect: the destination whose next hop becomes the target.</summary>
    public static Ipv6Address RedirectDestination(ReadOnlySpan<byte> message) => Ipv6Address.Read(message[24..]);
    /// <summary>Flags byte of a Neighbor Advertisement (R, S, O).</summary>
    public static byte AdvertisementFlags(ReadOnlySpan<byte> message) => message[4];
    /// <summary>Cur Hop Limit of a Router Advertisement (0: unspecified).</summary>
    public static byte CurHopLimit(ReadOnlySpan<byte> message) => message[4];
    /// <summary>Router Lifetime in seconds of a Router Advertisement (0: not a default router).</summary>
    public static ushort RouterLifetime(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
    /// <summary>Reachable Time in milliseconds of a Router Advertisement (0: unspecified).</summary>
    public static uint ReachableTime(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt32BigEndian(message[8..]);
    /// <summary>Retrans Timer in milliseconds of a Router Advertisement (0: unspecified).</summary>
    public static uint RetransTimer(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt32BigEndian(message[12..]);

    /// <summary>Writes the body of a Neighbor Solicitation or Advertisement (24 bytes; checksum left to the caller):
    /// type, flags and target.</summary>
    public static void WriteNeighborMessage(Span<byte> message, Icmpv6Type type, byte flags, Ipv6Address target)
    {
        message[..NeighborMessageLength].Clear();
        message[0] = (byte)type;
        message[4] = flags;
        target.Write(message[8..]);
    }

    /// <summary>Writes the body of a Router Advertisement (16 bytes; checksum left to the caller).</summary>
    public static void WriteRouterAdvertisement(Span<byte> message, byte curHopLimit, ushort routerLifetime,
        uint reachableTime, uint retransTimer)
    {
        message[..RouterAdvertisementLength].Clear();
        message[0] = (byte)Icmpv6Type.RouterAdvertisement;
        message[4] = curHopLimit;
        BinaryPrimitives.WriteUInt16BigEndian(message[6..], routerLifetime);
        BinaryPrimitives.WriteUInt32BigEndian(message[8..], reachableTime);
        BinaryPrimitives.WriteUInt32BigEndian(message[12..], retransTimer);
    }
}
