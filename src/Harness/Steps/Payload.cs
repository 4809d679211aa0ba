using System.Text;

namespace Netstack.Harness.Steps;

/// <summary>Bytes written in a scenario as text (<c>data: hello</c>), hex (<c>hex: de ad be ef</c>) or a size
/// (<c>size: 100</c>, filled with a counting pattern) or <c>random: 1048576</c> (bytes from a fixed generator).</summary>
public sealed class Payload(byte[] bytes, string source)
{
    public byte[] Bytes { get; } = bytes;
    public string Source { get; } = source;

    public static Payload FromText(string text) => new(Encoding.UTF8.GetBytes(text), $"\"{text}\"");

    public static Payload FromSize(int size)
    {
        var b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte)i;
        return new Payload(b, $"{size} bytes");
    }

    /// <summary>Pseudo-random bytes that depend only on <paramref name="size"/> (not on the scenario's seed), so
    /// a sender's <c>random: N</c> and a receiver's <c>random: N</c> name the same bytes. Unlike the counting
    /// pattern, which repeats every 256 bytes, they reveal data delivered at the wrong offset.</summary>
    public static Payload FromRandom(int size)
    {
        var b = new byte[size];
        ulong x = 0x9E3779B97F4A7C15UL; // xorshift64*, fixed start
        for (int i = 0; i < size; i += 8)
        {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            ulong word = x * 0x2545F4914F6CDD1DUL;
            for (int k = 0; k < 8 && i + k < size; k++) b[i + k] = (byte)(word >> (8 * k));
        }
        return new Payload(b, $"{size} random bytes");
    }

    public static bool TryFromHex(string hex, out Payload payload)
    {
        payload = null!;
        var digits = new StringBuilder();
        foreach (var c in hex)
        {
            if (char.IsWhiteSpace(c) || c == ':') continue;
            if (!char.IsAsciiHexDigit(c)) return false;
            digits.Append(c);
        }
        if (digits.Length % 2 != 0) return false;
        payload = new Payload(Convert.FromHexString(digits.ToString()), $"hex {hex.Trim()}");
        return true;
    }

    public override string ToString() => Source;

    /// <summary>Received bytes as a report shows them: text when printable, hex otherwise.</summary>
    public static string Show(ReadOnlySpan<byte> bytes)
    {
        bool printable = true;
        foreach (var b in bytes)
            if (b < 0x20 || b > 0x7e) { printable = false; break; }
        if (printable) return $"\"{Encoding.ASCII.GetString(bytes)}\" ({bytes.Length} bytes)";
        var hex = Convert.ToHexString(bytes.Length > 32 ? bytes[..32] : bytes).ToLowerInvariant();
        return $"hex {hex}{(bytes.Length > 32 ? "..." : "")} ({bytes.Length} bytes)";
    }
}
