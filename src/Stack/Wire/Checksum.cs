using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Netstack.Wire;

/// <summary>The Internet checksum (RFC 1071): ones'-complement sum of 16-bit big-endian words.
/// Summed as 32-bit lanes with vector adds and folded at the end; byte order is handled by summing
/// in native order and swapping once (RFC 1071 §2(B)).</summary>
public static class Checksum
{
    /// <summary>Adds <paramref name="data"/> to a running 32-bit partial sum (native-order words).</summary>
    public static ulong Accumulate(ulong sum, ReadOnlySpan<byte> data)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && data.Length >= 64)
        {
            var acc = Vector256<ulong>.Zero;
            var u32 = MemoryMarshal.Cast<byte, uint>(data[..(data.Length & ~31)]);
            int j = 0;
            for (; j + 8 <= u32.Length; j += 8)
            {
                var v = Vector256.Create<uint>(u32.Slice(j, 8));
                var (lo, hi) = Vector256.Widen(v);
                acc += lo + hi;
            }
            sum += Vector256.Sum(acc);
            i = j * 4;
        }
        for (; i + 8 <= data.Length; i += 8)
        {
            ulong w = MemoryMarshal.Read<ulong>(data[i..]);
            sum += (w & 0xFFFF_FFFF) + (w >> 32);
        }
        for (; i + 2 <= data.Length; i += 2)
            sum += MemoryMarshal.Read<ushort>(data[i..]);
        if (i < data.Length)
            sum += BitConverter.IsLittleEndian ? data[i] : (ulong)data[i] << 8;
        return sum;
    }

    /// <summary>Folds a partial sum to the 16-bit ones'-complement checksum, in network byte order value.</summary>
    public static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        uint s = (uint)sum;
        s = (s & 0xFFFF) + (s >> 16);
        s = (s & 0xFFFF) + (s >> 16);
        ushort native = (ushort)~s;
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(native) : native;
    }

    /// <summary>Checksum of a whole buffer, as the value to write big-endian into a header.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Fold(Accumulate(0, data));

    /// <summary>The TCP/UDP pseudo-header (RFC 793 §3.1, RFC 768) as a partial sum.</summary>
    public static ulong PseudoHeader(Ipv4Address source, Ipv4Address destination, byte protocol, int length)
    {
        Span<byte> ph = stackalloc byte[12];
        source.Write(ph);
        destination.Write(ph[4..]);
        ph[8] = 0;
        ph[9] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(ph[10..], (ushort)length);
        return Accumulate(0, ph);
    }

    /// <summary>True when data including its checksum field sums to all-ones, i.e. the checksum is valid.</summary>
    public static bool IsValid(ulong partialSumIncludingChecksum) => Fold(partialSumIncludingChecksum) == 0;
}
