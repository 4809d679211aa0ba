namespace Netstack.Transport.Tcp;

/// <summary>A TCP sequence number: 32-bit modular arithmetic (RFC 9293 §3.4). Comparisons are valid for
/// numbers less than 2^31 apart, which the window sizes guarantee, so they hold across wraparound.</summary>
public readonly record struct SequenceNumber(uint Value) : IComparable<SequenceNumber>
{
    /// <summary><paramref name="a"/> advanced by <paramref name="n"/> octets, modulo 2^32.</summary>
    public static SequenceNumber operator +(SequenceNumber a, int n) => new(unchecked(a.Value + (uint)n));
    /// <summary><paramref name="a"/> moved back by <paramref name="n"/> octets, modulo 2^32.</summary>
    public static SequenceNumber operator -(SequenceNumber a, int n) => new(unchecked(a.Value - (uint)n));
    /// <summary>Signed distance from <paramref name="b"/> to <paramref name="a"/>.</summary>
    public static int operator -(SequenceNumber a, SequenceNumber b) => unchecked((int)(a.Value - b.Value));
    /// <summary><paramref name="a"/> comes before <paramref name="b"/> in sequence space.</summary>
    public static bool operator <(SequenceNumber a, SequenceNumber b) => a - b < 0;
    /// <summary><paramref name="a"/> comes after <paramref name="b"/> in sequence space.</summary>
    public static bool operator >(SequenceNumber a, SequenceNumber b) => a - b > 0;
    /// <summary><paramref name="a"/> is at or before <paramref name="b"/> in sequence space.</summary>
    public static bool operator <=(SequenceNumber a, SequenceNumber b) => a - b <= 0;
    /// <summary><paramref name="a"/> is at or after <paramref name="b"/> in sequence space.</summary>
    public static bool operator >=(SequenceNumber a, SequenceNumber b) => a - b >= 0;

    /// <summary>The later of two sequence numbers (modular comparison).</summary>
    public static SequenceNumber Max(SequenceNumber a, SequenceNumber b) => a > b ? a : b;
    /// <summary>The earlier of two sequence numbers (modular comparison).</summary>
    public static SequenceNumber Min(SequenceNumber a, SequenceNumber b) => a < b ? a : b;

    /// <summary>True when low &lt;= this &lt; high, modulo 2^32.</summary>
    public bool InRange(SequenceNumber low, SequenceNumber high) => this >= low && this < high;

    /// <summary>Orders by signed distance, so sorting is valid only for numbers less than 2^31 apart.</summary>
    public int CompareTo(SequenceNumber other) => (this - other).CompareTo(0);
    /// <summary>The raw 32-bit value in decimal, as tcpdump prints absolute sequence numbers.</summary>
    public override string ToString() => Value.ToString();
}
