namespace Netstack.Tests.Wire;

/// <summary>The Internet checksum written the obvious way (RFC 1071 §4.1): big-endian 16-bit words
/// summed one at a time. The reference the vectorised implementation is checked against.</summary>
public static class ReferenceChecksum
{
    public static uint Sum(ReadOnlySpan<byte> data, uint sum = 0)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += (uint)(data[i] << 8 | data[i + 1]);
            if (sum >= 0x8000_0000) sum = (sum & 0xFFFF) + (sum >> 16); // end-around carry before uint overflows
        }
        if (i < data.Length) sum += (uint)data[i] << 8;
        return sum;
    }

    public static ushort Fold(uint sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>The checksum as the big-endian value written into a header.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Fold(Sum(data));

    /// <summary>TCP/UDP checksum over a pseudo-header (RFC 768/793) and the segment.</summary>
    public static ushort Transport(byte[] source, byte[] destination, byte protocol, ReadOnlySpan<byte> segment)
    {
        uint sum = Sum(source) + Sum(destination) + protocol + (uint)segment.Length;
        return Fold(Sum(segment, sum));
    }
}
