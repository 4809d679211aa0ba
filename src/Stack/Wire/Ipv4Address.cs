using System.Buffers.Binary;
using System.Globalization;

namespace Netstack.Wire;

/// <summary>An IPv4 address as a host-order uint, so prefixes and comparisons are plain integer math.</summary>
/// <param name="Value">The address in host byte order: 192.0.2.1 is 0xC0000201.</param>
public readonly record struct Ipv4Address(uint Value) : IComparable<Ipv4Address>
{
    /// <summary>0.0.0.0: the unspecified address, also "any local address" when binding.</summary>
    public static readonly Ipv4Address Any = new(0);
    /// <summary>255.255.255.255, the limited broadcast address.</summary>
    public static readonly Ipv4Address Broadcast = new(0xFFFF_FFFF);

    /// <summary>True for the limited broadcast 255.255.255.255 (not a subnet's directed broadcast).</summary>
    public bool IsBroadcast => Value == 0xFFFF_FFFF;
    /// <summary>True for 224.0.0.0/4 (class D).</summary>
    public bool IsMulticast => (Value >> 28) == 0xE;
    /// <summary>True for 0.0.0.0.</summary>
    public bool IsUnspecified => Value == 0;
    /// <summary>0.0.0.0/8, "this host on this network": a source only while a host learns its address.</summary>
    public bool IsThisNetwork => (Value >> 24) == 0;
    /// <summary>True for 127.0.0.0/8.</summary>
    public bool IsLoopback => (Value >> 24) == 127;
    /// <summary>240.0.0.0/4, reserved (class E); 255.255.255.255 is in it.</summary>
    public bool IsReserved => (Value >> 28) == 0xF;

    /// <summary>Reads 4 bytes in network byte order from the start of <paramref name="s"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="s"/> is shorter than 4 bytes.</exception>
    public static Ipv4Address Read(ReadOnlySpan<byte> s) => new(BinaryPrimitives.ReadUInt32BigEndian(s));
    /// <summary>Writes the address in network byte order into the first 4 bytes of <paramref name="s"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="s"/> is shorter than 4 bytes.</exception>
    public void Write(Span<byte> s) => BinaryPrimitives.WriteUInt32BigEndian(s, Value);

    /// <summary>Host-order netmask of a prefix length 0–32: 24 gives 0xFFFFFF00.</summary>
    public static uint PrefixMask(int prefixLength) => prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);

    /// <summary>True when this address lies in <paramref name="network"/>/<paramref name="prefixLength"/>.</summary>
    public bool IsInSubnet(Ipv4Address network, int prefixLength) =>
        ((Value ^ network.Value) & PrefixMask(prefixLength)) == 0;

    /// <summary>Parses a dotted quad such as 192.0.2.1 (exactly four decimal parts 0–255).</summary>
    /// <exception cref="FormatException"><paramref name="text"/> is not a dotted quad.</exception>
    public static Ipv4Address Parse(string text) =>
        TryParse(text, out var a) ? a : throw new FormatException($"'{text}' is not an IPv4 address (expected dotted quad like 192.0.2.1)");

    /// <summary>Parses a dotted quad such as 192.0.2.1; false (and <see langword="default"/>) for anything else,
    /// including null.</summary>
    public static bool TryParse(string? text, out Ipv4Address address)
    {
        address = default;
        if (text is null) return false;
        var parts = text.Split('.');
        if (parts.Length != 4) return false;
        uint v = 0;
        foreach (var p in parts)
        {
            if (p.Length is < 1 or > 3 || !p.All(char.IsAsciiDigit) ||
                !byte.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var b)) return false;
            v = (v << 8) | b;
        }
        address = new Ipv4Address(v);
        return true;
    }

    /// <summary>Converts a <see cref="System.Net.IPAddress"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="ip"/> is not an IPv4 address.</exception>
    public static Ipv4Address FromSystem(System.Net.IPAddress ip)
    {
        Span<byte> b = stackalloc byte[4];
        if (ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || !ip.TryWriteBytes(b, out _))
            throw new ArgumentException($"{ip} is not an IPv4 address");
        return Read(b);
    }

    /// <summary>Converts to a <see cref="System.Net.IPAddress"/>, for interop with BCL sockets and tools.</summary>
    public System.Net.IPAddress ToSystem()
    {
        Span<byte> b = stackalloc byte[4];
        Write(b);
        return new System.Net.IPAddress(b);
    }

    /// <summary>Orders addresses numerically (as their host-order <see cref="Value"/>).</summary>
    public int CompareTo(Ipv4Address other) => Value.CompareTo(other.Value);

    /// <summary>Dotted-quad text, e.g. 192.0.2.1.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Value >> 24}.{(Value >> 16) & 255}.{(Value >> 8) & 255}.{Value & 255}");
}

/// <summary>An address with its prefix length, as written in configuration: 192.0.2.10/24.</summary>
/// <param name="Address">The address (host part included, as configured).</param>
/// <param name="PrefixLength">Network prefix length in bits, 0–32.</param>
public readonly record struct Ipv4Cidr(Ipv4Address Address, int PrefixLength)
{
    /// <summary>The network address: <see cref="Address"/> with host bits cleared.</summary>
    public Ipv4Address Network => new(Address.Value & Ipv4Address.PrefixMask(PrefixLength));
    /// <summary>The subnet's directed broadcast address: <see cref="Address"/> with host bits set.</summary>
    public Ipv4Address DirectedBroadcast => new(Address.Value | ~Ipv4Address.PrefixMask(PrefixLength));

    /// <summary>Parses "a.b.c.d/len" or a bare address (prefix 32); false for anything else, including null or a prefix
    /// above 32.</summary>
    public static bool TryParse(string? text, out Ipv4Cidr cidr)
    {
        cidr = default;
        if (text is null) return false;
        int slash = text.IndexOf('/');
        var addrText = slash < 0 ? text : text[..slash];
        int prefix = 32;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > 32))
            return false;
        if (!Ipv4Address.TryParse(addrText, out var a)) return false;
        cidr = new Ipv4Cidr(a, prefix);
        return true;
    }

    /// <summary>Parses "a.b.c.d/len" or a bare address (prefix 32).</summary>
    /// <exception cref="FormatException"><paramref name="text"/> is not an address with an optional prefix
    /// 0–32.</exception>
    public static Ipv4Cidr Parse(string text) =>
        TryParse(text, out var c) ? c : throw new FormatException($"'{text}' is not an IPv4 address with prefix (expected like 192.0.2.10/24)");

    /// <summary>CIDR text, e.g. 192.0.2.10/24.</summary>
    public override string ToString() => $"{Address}/{PrefixLength}";
}
