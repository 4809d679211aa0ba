namespace Netstack.Time;

/// <summary>The stack's only source of randomness (ISNs, IP IDs, ephemeral ports). The driver owns the
/// seed, so a simulation with the same seed makes the same choices.</summary>
public interface IRandomSource
{
    /// <summary>The next 64 uniformly distributed random bits.</summary>
    ulong NextUInt64();
}

/// <summary>xoshiro256** seeded through SplitMix64: small, fast, and the same on every platform.</summary>
public sealed class SeededRandom : IRandomSource
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator whose sequence is fully determined by <paramref name="seed"/>.</summary>
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

    /// <summary>The next 64 random bits (xoshiro256** step).</summary>
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

/// <summary>Narrower draws derived from <see cref="IRandomSource.NextUInt64"/>.</summary>
public static class RandomSourceExtensions
{
    /// <summary>32 uniformly random bits (the high half of a 64-bit draw).</summary>
    public static uint NextUInt32(this IRandomSource r) => (uint)(r.NextUInt64() >> 32);

    /// <summary>Uniform in [0, bound) without modulo bias worth caring about at 64 bits.</summary>
    public static int NextInt(this IRandomSource r, int bound) => (int)((r.NextUInt64() >> 32) * (ulong)bound >> 32);

    /// <summary>Uniform in [0, 1) with 53 bits of precision.</summary>
    public static double NextDouble(this IRandomSource r) => (r.NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
