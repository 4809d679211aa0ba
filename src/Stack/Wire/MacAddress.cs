using System.Buffers.Binary;
using System.Globalization;

namespace Netstack.Wire;

/// <summary>A 48-bit Ethernet address held in a ulong (low 48 bits, network order when written).</summary>
/// <param name="Value">The address in the low 48 bits; 02:00:00:00:00:0a is 0x02000000000A.</param>
public readonly record struct MacAddress(ulong Value)
{
    /// <summary>ff:ff:ff:ff:ff:ff, the Ethernet broadcast address.</summary>
    public static readonly MacAddress Broadcast = new(0xFFFF_FFFF_FFFFUL);
    /// <summary>00:00:00:00:00:00, the unknown target hardware address of an ARP request.</summary>
    public static readonly MacAddress Zero = new(0);

    /// <summary>True for ff:ff:ff:ff:ff:ff.</summary>
    public bool IsBroadcast => Value == Broadcast.Value;
    /// <summary>True when the I/G bit (lowest bit of the first byte) is set; broadcast included.</summary>
    public bool IsMulticast => (Value & 0x0100_0000_0000UL) != 0;

    /// <summary>Reads 6 bytes in network order from the start of <paramref name="s"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="s"/> is shorter than 6 bytes.</exception>
    public static MacAddress Read(ReadOnlySpan<byte> s) =>
        new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(s) << 32) | BinaryPrimitives.ReadUInt32BigEndian(s[2..]));

    /// <summary>Writes the address in network order into the first 6 bytes of <paramref name="s"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="s"/> is shorter than 6 bytes.</exception>
    public void Write(Span<byte> s)
    {
        BinaryPrimitives.WriteUInt16BigEndian(s, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(s[2..], (uint)Value);
    }

    /// <summary>Parses six hex bytes separated by ':' or '-', e.g. 02:00:00:00:00:0a.</summary>
    /// <exception cref="FormatException"><paramref name="text"/> is not a MAC address.</exception>
    public static MacAddress Parse(string text) =>
        TryParse(text, out var mac) ? mac : throw new FormatException($"'{text}' is not a MAC address (expected six hex bytes like 02:00:00:00:00:0a)");

    /// <summary>Parses six hex bytes separated by ':' or '-'; false (and <see cref="Zero"/>) for anything else,
    /// including null.</summary>
    public static bool TryParse(string? text, out MacAddress mac)
    {
        mac = default;
        if (text is null) return false;
        var parts = text.Split(':', '-');
        if (parts.Length != 6) return false;
        ulong v = 0;
        foreach (var p in parts)
        {
            if (p.Length is < 1 or > 2 || !byte.TryParse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b)) return false;
            v = (v << 8) | b;
        }
        mac = new MacAddress(v);
        return true;
    }

    /// <summary>Lower-case colon-separated text, e.g. 02:00:00:00:00:0a.</summary>
    public override string ToString()
    {
        Span<char> c = stackalloc char[17];
        for (int i = 0; i < 6; i++)
        {
            byte b = (byte)(Value >> (40 - 8 * i));
            c[i * 3] = "0123456789abcdef"[b >> 4];
            c[i * 3 + 1] = "0123456789abcdef"[b & 15];
            if (i < 5) c[i * 3 + 2] = ':';
        }
        return new string(c);
    }
}
