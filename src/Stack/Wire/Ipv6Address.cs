using System.Buffers.Binary;
using System.Globalization;

namespace Netstack.Wire;

/// <summary>An IPv6 address (RFC 4291) as two host-order 64-bit halves, so prefixes and comparisons are integer
/// math and the address is a plain value (no array per packet).</summary>
/// <param name="High">Bits 0–63: the first eight bytes, big-endian; 2001:db8:: has High 0x20010DB800000000.</param>
/// <param name="Low">Bits 64–127: the interface identifier half.</param>
public readonly record struct Ipv6Address(ulong High, ulong Low) : IComparable<Ipv6Address>
{
    /// <summary>Size of an address in bytes.</summary>
    public const int Length = 16;

    /// <summary>::, the unspecified address: the source of DAD probes, "any" when binding.</summary>
    public static readonly Ipv6Address Unspecified = new(0, 0);
    /// <summary>ff02::1, all nodes on the link.</summary>
    public static readonly Ipv6Address AllNodes = new(0xFF02_0000_0000_0000UL, 1);
    /// <summary>ff02::2, all routers on the link.</summary>
    public static readonly Ipv6Address AllRouters = new(0xFF02_0000_0000_0000UL, 2);
    /// <summary>ff02::16, where MLDv2 reports go (RFC 3810 §5.2.14).</summary>
    public static readonly Ipv6Address AllMldv2Routers = new(0xFF02_0000_0000_0000UL, 0x16);

    /// <summary>True for ::.</summary>
    public bool IsUnspecified => High == 0 && Low == 0;
    /// <summary>True for ::1.</summary>
    public bool IsLoopback => High == 0 && Low == 1;
    /// <summary>True for ff00::/8.</summary>
    public bool IsMulticast => (High >> 56) == 0xFF;
    /// <summary>True for fe80::/10.</summary>
    public bool IsLinkLocal => (High >> 54) == (0xFE80UL >> 6);
    /// <summary>True for ::ffff:0:0/96, an IPv4 address written as IPv6 (RFC 4291 §2.5.5.2).</summary>
    public bool IsIpv4Mapped => High == 0 && (Low >> 32) == 0xFFFF;
    /// <summary>The scope of a multicast address (low nibble of byte 1): 2 is link-local.</summary>
    public int MulticastScope => (int)((High >> 48) & 0xF);

    /// <summary>Reads 16 bytes in network byte order from the start of <paramref name="s"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="s"/> is shorter than 16 bytes.</exception>
    public static Ipv6Address Read(ReadOnlySpan<byte> s) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(s), BinaryPrimitives.ReadUInt64BigEndian(s[8..]));

    /// <summary>Writes the address in network byte order into the first 16 bytes of <paramref name="s"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="s"/> is shorter than 16 bytes.</exception>
    public void Write(Span<byte> s)
    {
        BinaryPrimitives.WriteUInt64BigEndian(s, High);
        BinaryPrimitives.WriteUInt64BigEndian(s[8..], Low);
    }

    /// <summary>The solicited-node multicast group of this address, ff02::1:ffXX:XXXX (RFC 4291 §2.7.1): where
    /// neighbour solicitations for it are sent.</summary>
    public Ipv6Address SolicitedNodeMulticast => new(0xFF02_0000_0000_0000UL, 0x0000_0001_FF00_0000UL | (Low & 0xFF_FFFF));

    /// <summary>The Ethernet address a multicast IPv6 address maps to: 33:33 and its last four bytes (RFC 2464
    /// §7).</summary>
    public MacAddress MulticastMac => new(0x3333_0000_0000UL | (Low & 0xFFFF_FFFF));

    /// <summary>fe80::/64 with a modified EUI-64 interface identifier from <paramref name="mac"/> (RFC 4291 App. A:
    /// ff:fe in the middle, universal/local bit flipped).</summary>
    public static Ipv6Address LinkLocalFromMac(MacAddress mac) => new(0xFE80_0000_0000_0000UL, InterfaceIdentifier(mac));

    /// <summary>The modified EUI-64 interface identifier of <paramref name="mac"/> (RFC 4291 App. A).</summary>
    public static ulong InterfaceIdentifier(MacAddress mac)
    {
        ulong m = mac.Value;
        ulong upper = (m >> 24) & 0xFF_FFFF, lower = m & 0xFF_FFFF;
        return ((upper << 40) | (0xFFFEUL << 24) | lower) ^ 0x0200_0000_0000_0000UL;
    }

    /// <summary>The address with the prefix of <paramref name="prefix"/>/64 and this address's interface
    /// identifier.</summary>
    public static Ipv6Address FromPrefixAndInterface(Ipv6Address prefix, ulong interfaceIdentifier) =>
        new(prefix.High, interfaceIdentifier);

    /// <summary>The first <paramref name="prefixLength"/> bits kept, the rest cleared.</summary>
    public Ipv6Address Masked(int prefixLength) => prefixLength switch
    {
        <= 0 => Unspecified,
        < 64 => new(High & (ulong.MaxValue << (64 - prefixLength)), 0),
        64 => new(High, 0),
        < 128 => new(High, Low & (ulong.MaxValue << (128 - prefixLength))),
        _ => this,
    };

    /// <summary>True when this address lies in <paramref name="network"/>/<paramref name="prefixLength"/>.</summary>
    public bool IsInSubnet(Ipv6Address network, int prefixLength) => Masked(prefixLength) == network.Masked(prefixLength);

    /// <summary>Parses RFC 4291 §2.2 text (e.g. 2001:db8::1); false for anything else, IPv4 text included.</summary>
    public static bool TryParse(string? text, out Ipv6Address address)
    {
        address = default;
        if (text is null || !text.Contains(':') || text.Contains('%')) return false;
        if (!System.Net.IPAddress.TryParse(text, out var ip) ||
            ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return false;
        address = FromSystem(ip);
        return true;
    }

    /// <summary>Parses RFC 4291 §2.2 text such as 2001:db8::1.</summary>
    /// <exception cref="FormatException"><paramref name="text"/> is not an IPv6 address.</exception>
    public static Ipv6Address Parse(string text) =>
        TryParse(text, out var a) ? a : throw new FormatException($"'{text}' is not an IPv6 address (expected like 2001:db8::1)");

    /// <summary>Converts a <see cref="System.Net.IPAddress"/> of the IPv6 family (its scope id is dropped).</summary>
    /// <exception cref="ArgumentException"><paramref name="ip"/> is not an IPv6 address.</exception>
    public static Ipv6Address FromSystem(System.Net.IPAddress ip)
    {
        Span<byte> b = stackalloc byte[Length];
        if (ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || !ip.TryWriteBytes(b, out _))
            throw new ArgumentException($"{ip} is not an IPv6 address");
        return Read(b);
    }

    /// <summary>Converts to a <see cref="System.Net.IPAddress"/>, for interop with BCL sockets and tools.</summary>
    public System.Net.IPAddress ToSystem()
    {
        Span<byte> b = stackalloc byte[Length];
        Write(b);
        return new System.Net.IPAddress(b);
    }

    /// <summary>Orders addresses numerically.</summary>
    public int CompareTo(Ipv6Address other) => High != other.High ? High.CompareTo(other.High) : Low.CompareTo(other.Low);

    /// <summary>RFC 5952 text, e.g. 2001:db8::1.</summary>
    public override string ToString() => ToSystem().ToString();
}

/// <summary>An IPv6 address with its prefix length, as written in configuration: 2001:db8::10/64.</summary>
/// <param name="Address">The address (interface identifier included, as configured).</param>
/// <param name="PrefixLength">Network prefix length in bits, 0–128.</param>
public readonly record struct Ipv6Cidr(Ipv6Address Address, int PrefixLength)
{
    /// <summary>The network address: <see cref="Address"/> with the interface bits cleared.</summary>
    public Ipv6Address Network => Address.Masked(PrefixLength);

    /// <summary>Parses "addr/len" or a bare address (prefix 128); false for anything else.</summary>
    public static bool TryParse(string? text, out Ipv6Cidr cidr)
    {
        cidr = default;
        if (text is null) return false;
        int slash = text.IndexOf('/');
        int prefix = 128;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > 128))
            return false;
        if (!Ipv6Address.TryParse(slash < 0 ? text : text[..slash], out var a)) return false;
        cidr = new Ipv6Cidr(a, prefix);
        return true;
    }

    /// <summary>Parses "addr/len" or a bare address (prefix 128).</summary>
    /// <exception cref="FormatException"><paramref name="text"/> is not an IPv6 address with an optional prefix
    /// 0–128.</exception>
    public static Ipv6Cidr Parse(string text) =>
        TryParse(text, out var c) ? c : throw new FormatException($"'{text}' is not an IPv6 address with prefix (expected like 2001:db8::10/64)");

    /// <summary>CIDR text, e.g. 2001:db8::10/64.</summary>
    public override string ToString() => $"{Address}/{PrefixLength}";
}
