namespace Netstack.Transport.Tcp;

/// <summary>A TCP sequence number: 32-bit modular arithmetic (RFC 9293 §3.4). Comparisons are valid for
/// numbers less than 2^31 apart, which the window sizes guarantee, so they hold across wraparound.</summary>
public readonly record struct SequenceNumber(uint Value) : IComparable<SequenceNumber>
{
    public static SequenceNumber operator +(SequenceNumber a, int n) => new(unchecked(a.Value + (uint)n));
    public static SequenceNumber operator -(SequenceNumber a, int n) => new(unchecked(a.Value - (uint)n));
    /// <summary>Signed distance from <paramref name="b"/> to <paramref name="a"/>.</summary>
    public static int operator -(SequenceNumber a, SequenceNumber b) => unchecked((int)(a.Value - b.Value));
    public static bool operator <(SequenceNumber a, SequenceNumber b) => a - b < 0;
    public static bool operator >(SequenceNumber a, SequenceNumber b) => a - b > 0;
    public static bool operator <=(SequenceNumber a, SequenceNumber b) => a - b <= 0;
    public static bool operator >=(SequenceNumber a, SequenceNumber b) => a - b >= 0;

    public static SequenceNumber Max(SequenceNumber a, SequenceNumber b) => a > b ? a : b;
    public static SequenceNumber Min(SequenceNumber a, SequenceNumber b) => a < b ? a : b;

    /// <summary>True when low &lt;= this &lt; high, modulo 2^32.</summary>
    public bool InRange(SequenceNumber low, SequenceNumber high) => this >= low && this < high;

    public int CompareTo(SequenceNumber other) => (this - other).CompareTo(0);
    public override string ToString() => Value.ToString();
}
