using System.Buffers.Binary;
using System.Globalization;

namespace Netstack.Wire;

/// <summary>An IPv4 address as a host-order uint, so prefixes and comparisons are plain integer math.</summary>
public readonly record struct Ipv4Address(uint Value) : IComparable<Ipv4Address>
{
    public static readonly Ipv4Address Any = new(0);
    public static readonly Ipv4Address Broadcast = new(0xFFFF_FFFF);

    public bool IsBroadcast => Value == 0xFFFF_FFFF;
    public bool IsMulticast => (Value >> 28) == 0xE;
    public bool IsUnspecified => Value == 0;
    /// <summary>0.0.0.0/8, "this host on this network": a source only while a host learns its address.</summary>
    public bool IsThisNetwork => (Value >> 24) == 0;
    public bool IsLoopback => (Value >> 24) == 127;
    /// <summary>240.0.0.0/4, reserved (class E); 255.255.255.255 is in it.</summary>
    public bool IsReserved => (Value >> 28) == 0xF;

    public static Ipv4Address Read(ReadOnlySpan<byte> s) => new(BinaryPrimitives.ReadUInt32BigEndian(s));
    public void Write(Span<byte> s) => BinaryPrimitives.WriteUInt32BigEndian(s, Value);

    public static uint PrefixMask(int prefixLength) => prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);

    public bool IsInSubnet(Ipv4Address network, int prefixLength) =>
        ((Value ^ network.Value) & PrefixMask(prefixLength)) == 0;

    public static Ipv4Address Parse(string text) =>
        TryParse(text, out var a) ? a : throw new FormatException($"'{text}' is not an IPv4 address (expected dotted quad like 192.0.2.1)");

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

    public static Ipv4Address FromSystem(System.Net.IPAddress ip)
    {
        Span<byte> b = stackalloc byte[4];
        if (ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || !ip.TryWriteBytes(b, out _))
            throw new ArgumentException($"{ip} is not an IPv4 address");
        return Read(b);
    }

    public System.Net.IPAddress ToSystem()
    {
        Span<byte> b = stackalloc byte[4];
        Write(b);
        return new System.Net.IPAddress(b);
    }

    public int CompareTo(Ipv4Address other) => Value.CompareTo(other.Value);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Value >> 24}.{(Value >> 16) & 255}.{(Value >> 8) & 255}.{Value & 255}");
}

/// <summary>An address with its prefix length, as written in configuration: 192.0.2.10/24.</summary>
public readonly record struct Ipv4Cidr(Ipv4Address Address, int PrefixLength)
{
    public Ipv4Address Network => new(Address.Value & Ipv4Address.PrefixMask(PrefixLength));
    public Ipv4Address DirectedBroadcast => new(Address.Value | ~Ipv4Address.PrefixMask(PrefixLength));

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

    public static Ipv4Cidr Parse(string text) =>
        TryParse(text, out var c) ? c : throw new FormatException($"'{text}' is not an IPv4 address with prefix (expected like 192.0.2.10/24)");

    public override string ToString() => $"{Address}/{PrefixLength}";
}
