using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Netstack.Wire;

/// <summary>The Internet checksum (RFC 1071): ones'-complement sum of 16-bit big-endian words.
/// Summed as 16-bit words in 32-bit vector lanes and folded at the end; byte order is handled by summing
/// in native order and swapping once (RFC 1071 §2(B)).</summary>
public static class Checksum
{
    /// <summary>Adds <paramref name="data"/> to a running 32-bit partial sum (native-order words).</summary>
    public static ulong Accumulate(ulong sum, ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && length >= 64)
        {
            // Two accumulators to overlap latency; flushed to the 64-bit sum once per block.
            while (length - i >= 64)
            {
                int blockEnd = BlockEnd(i, length);
                var a = Vector256<uint>.Zero;
                var b = Vector256<uint>.Zero;
                for (; i < blockEnd; i += 64)
                {
                    a = AddWords(a, Vector256.LoadUnsafe(ref start, (nuint)i).AsUInt32());
                    b = AddWords(b, Vector256.LoadUnsafe(ref start, (nuint)(i + 32)).AsUInt32());
                }
                sum += SumLanes(a, b);
            }
        }
        for (; i + 8 <= length; i += 8)
        {
            ulong w = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i));
            sum += (w & 0xFFFF_FFFF) + (w >> 32);
        }
        for (; i + 2 <= length; i += 2)
            sum += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, i));
        if (i < length)
            sum += BitConverter.IsLittleEndian ? Unsafe.Add(ref start, i) : (ulong)Unsafe.Add(ref start, i) << 8;
        return sum;
    }

    /// <summary>Copies <paramref name="source"/> to the start of <paramref name="destination"/> and adds it
    /// to a running partial sum, like <see cref="Accumulate"/>, in one pass over the data (the copy into
    /// a segment and the checksum over it would otherwise read the payload twice).</summary>
    public static ulong CopyAndAccumulate(ulong sum, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int length = source.Length;
        if (destination.Length < length) throw new ArgumentException("destination is shorter than source", nameof(destination));
        ref byte from = ref MemoryMarshal.GetReference(source);
        ref byte to = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector256.IsHardwareAccelerated && length >= 64)
        {
            while (length - i >= 64)
            {
                int blockEnd = BlockEnd(i, length);
                var a = Vector256<uint>.Zero;
                var b = Vector256<uint>.Zero;
                for (; i < blockEnd; i += 64)
                {
                    var v = Vector256.LoadUnsafe(ref from, (nuint)i);
                    var w = Vector256.LoadUnsafe(ref from, (nuint)(i + 32));
                    v.StoreUnsafe(ref to, (nuint)i);
                    w.StoreUnsafe(ref to, (nuint)(i + 32));
                    a = AddWords(a, v.AsUInt32());
                    b = AddWords(b, w.AsUInt32());
                }
                sum += SumLanes(a, b);
            }
        }
        if (i < length)
        {
            var rest = source[i..];
            rest.CopyTo(destination[i..]);
            sum = Accumulate(sum, rest);
        }
        return sum;
    }

    /// <summary>Splits each 32-bit lane of <paramref name="words"/> into its two 16-bit words and adds them to the
    /// lane sums: only in-lane ANDs, shifts and adds, no widening shuffles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> AddWords(Vector256<uint> lanes, Vector256<uint> words) =>
        lanes + (words & Vector256.Create(0xFFFFu)) + (words >>> 16);

    /// <summary>A lane gains at most 2 * 0xFFFF per 32 bytes, so blocks of 1 MiB keep it well below 2^32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BlockEnd(int i, int length) => i + Math.Min((length - i) & ~63, 1 << 20);

    /// <summary>Adds the 32-bit lanes of both accumulators in 64-bit lanes: each 64-bit lane splits into its low and
    /// high 32-bit halves with an AND and a shift (Vector256.Widen returns a tuple, which the JIT did not always inline:
    /// a call per checksum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SumLanes(Vector256<uint> a, Vector256<uint> b)
    {
        var low = Vector256.Create(0xFFFF_FFFFul);
        var a64 = a.AsUInt64();
        var b64 = b.AsUInt64();
        return Vector256.Sum((a64 & low) + (a64 >>> 32) + (b64 & low) + (b64 >>> 32));
    }

    /// <summary>Folds a partial sum to the 16-bit ones'-complement checksum, in network byte order value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fold(ulong sum)
    {
        ushort native = (ushort)~AddCarries(sum);
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(native) : native;
    }

    /// <summary>Adds the carries of a partial sum back in (RFC 1071 §4.1, "end-around carry") until it fits in 16
    /// bits: the ones'-complement sum, not yet complemented.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint AddCarries(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        uint s = (uint)sum;
        s = (s & 0xFFFF) + (s >> 16);
        return (s & 0xFFFF) + (s >> 16);
    }

    /// <summary>The partial sum of bytes that stand one position later than where they were summed (RFC 1071 §2(B)):
    /// folded to 16 bits and byte-swapped, to add to a sum whose part before them has odd length.</summary>
    public static ulong AtOddOffset(ulong sum)
    {
        uint s = AddCarries(sum);
        return ((s & 0xFF) << 8) | (s >> 8);
    }

    /// <summary>Checksum of a whole buffer, as the value to write big-endian into a header.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Fold(Accumulate(0, data));

    /// <summary>The TCP/UDP pseudo-header (RFC 793 §3.1, RFC 768) as a partial sum.</summary>
    public static ulong PseudoHeader(Ipv4Address source, Ipv4Address destination, byte protocol, int length)
    {
        // The big-endian words of the pseudo-header, summed without building it in memory; the sum is
        // folded to 16 bits and byte-swapped into the native-order words Accumulate adds (RFC 1071 §2(B)).
        ulong be = (source.Value >> 16) + (source.Value & 0xFFFF) + (destination.Value >> 16) + (destination.Value & 0xFFFF)
                   + protocol + (ushort)length;
        ushort folded = (ushort)AddCarries(be);
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded;
    }

    /// <summary>The IPv6 upper-layer pseudo-header (RFC 8200 §8.1: addresses, 32-bit length, next header) as a
    /// partial sum, for ICMPv6, UDP and TCP over IPv6.</summary>
    public static ulong PseudoHeader(Ipv6Address source, Ipv6Address destination, byte nextHeader, int length)
    {
        ulong be = Words(source.High) + Words(source.Low) + Words(destination.High) + Words(destination.Low)
                   + ((uint)length >> 16) + ((uint)length & 0xFFFF) + nextHeader;
        ushort folded = (ushort)AddCarries(be);
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded;

        static ulong Words(ulong v) => (v >> 48) + ((v >> 32) & 0xFFFF) + ((v >> 16) & 0xFFFF) + (v & 0xFFFF);
    }

    /// <summary>The pseudo-header of whichever family <paramref name="source"/> is (both addresses are of one
    /// family).</summary>
    public static ulong PseudoHeader(IpAddress source, IpAddress destination, byte protocol, int length) =>
        source.IsIpv4 ? PseudoHeader(source.Ipv4, destination.Ipv4, protocol, length)
            : PseudoHeader(source.Ipv6, destination.Ipv6, protocol, length);

    /// <summary>True when data including its checksum field sums to all-ones, i.e. the checksum is valid.</summary>
    public static bool IsValid(ulong partialSumIncludingChecksum) => Fold(partialSumIncludingChecksum) == 0;
}
