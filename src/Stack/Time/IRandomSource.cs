namespace Netstack.Time;

/// <summary>The stack's only source of randomness (ISNs, IP IDs, ephemeral ports). The driver owns the
/// seed, so a simulation with the same seed makes the same choices.</summary>
public interface IRandomSource
{
    ulong NextUInt64();
}

/// <summary>xoshiro256** seeded through SplitMix64: small, fast, and the same on every platform.</summary>
public sealed class SeededRandom : IRandomSource
{
    private ulong _s0, _s1, _s2, _s3;

    public SeededRandom(ulong seed)
    {
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A fresh independent generator derived from this one (one per host, per fault rule...).</summary>
    public SeededRandom Fork() => new(NextUInt64());
}

public static class RandomSourceExtensions
{
    public static uint NextUInt32(this IRandomSource r) => (uint)(r.NextUInt64() >> 32);

    /// <summary>Uniform in [0, bound) without modulo bias worth caring about at 64 bits.</summary>
    public static int NextInt(this IRandomSource r, int bound) => (int)((r.NextUInt64() >> 32) * (ulong)bound >> 32);

    public static double NextDouble(this IRandomSource r) => (r.NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
