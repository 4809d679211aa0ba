using FluentAssertions;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Wire;

/// <summary>The vectorised checksum against the one-word-at-a-time reference, over lengths that hit every
/// tail case of the vector, 8-byte, 2-byte and odd-byte loops, at unaligned starts.</summary>
public class ChecksumTests
{
    private static IEnumerable<int> Lengths()
    {
        for (int n = 0; n <= 130; n++) yield return n;
        foreach (var n in new[] { 255, 256, 257, 1499, 1500, 1514, 4095, 4096, 4097, 8191, 8999, 9000 }) yield return n;
        var random = new Random(2);
        for (int i = 0; i < 300; i++) yield return random.Next(0, 9001);
    }

    [Test]
    public void Vectorised_checksum_equals_reference_on_random_data_of_random_lengths_and_alignments()
    {
        var random = new Random(1);
        var buffer = new byte[9000 + 64];
        int cases = 0;
        foreach (int length in Lengths())
        {
            random.NextBytes(buffer);
            int offset = random.Next(0, 33);
            var data = buffer.AsSpan(offset, length);
            Checksum.Compute(data).Should().Be(ReferenceChecksum.Compute(data), $"length {length} at offset {offset}");
            cases++;
        }
        cases.Should().BeGreaterThan(400);
    }

    [Test]
    public void All_ones_data_which_carries_most_agrees_with_reference([Values(0, 1, 2, 63, 64, 65, 1500, 9000, 65535, (1 << 20) + 67, 5 << 20)] int length)
    {
        var data = Enumerable.Repeat((byte)0xFF, length).ToArray();
        Checksum.Compute(data).Should().Be(ReferenceChecksum.Compute(data));
    }

    /// <summary>Inputs past the point where the vector loop's 32-bit lane sums must be flushed (every 1 MiB).</summary>
    [Test]
    public void Random_data_of_several_mebibytes_agrees_with_reference([Values((1 << 20) - 1, (1 << 20) + 64, (3 << 20) + 5)] int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        Checksum.Compute(data).Should().Be(ReferenceChecksum.Compute(data));
    }

    [Test]
    public void Partial_sums_over_even_splits_compose_to_the_whole()
    {
        var random = new Random(3);
        for (int i = 0; i < 300; i++)
        {
            var data = new byte[random.Next(0, 9001)];
            random.NextBytes(data);
            int split = random.Next(0, data.Length / 2 + 1) * 2;
            ulong sum = Checksum.Accumulate(Checksum.Accumulate(0, data.AsSpan(0, split)), data.AsSpan(split));
            Checksum.Fold(sum).Should().Be(ReferenceChecksum.Compute(data), $"length {data.Length} split at {split}");
        }
    }

    [Test]
    public void Partial_sums_over_odd_splits_compose_with_the_byte_swap_rule()
    {
        // RFC 1071 §2(B): a part that starts at an odd offset contributes its sum byte-swapped. Each part's
        // partial sum, odd tail included, must be a true ones'-complement sum for this to hold.
        var random = new Random(4);
        for (int i = 0; i < 300; i++)
        {
            var data = new byte[random.Next(2, 9001)];
            random.NextBytes(data);
            int split = random.Next(0, (data.Length - 1) / 2) * 2 + 1;
            ushort first = FoldNative(Checksum.Accumulate(0, data.AsSpan(0, split)));
            ushort second = FoldNative(Checksum.Accumulate(0, data.AsSpan(split)));
            ulong combined = (ulong)first + (ushort)((second << 8) | (second >> 8));
            Checksum.Fold(combined).Should().Be(ReferenceChecksum.Compute(data), $"length {data.Length} split at {split}");
        }
    }

    /// <summary>A partial sum folded to 16 bits without complementing, in the order Accumulate sums.</summary>
    private static ushort FoldNative(ulong sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    [Test]
    public void Pseudo_header_sum_equals_reference()
    {
        var random = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            var source = new Ipv4Address((uint)random.NextInt64());
            var destination = new Ipv4Address((uint)random.NextInt64());
            var segment = new byte[random.Next(0, 2000)];
            random.NextBytes(segment);
            byte protocol = (byte)(random.Next(2) == 0 ? 6 : 17);
            var ours = Checksum.Fold(Checksum.Accumulate(Checksum.PseudoHeader(source, destination, protocol, segment.Length), segment));
            ours.Should().Be(ReferenceChecksum.Transport(Bytes(source), Bytes(destination), protocol, segment));
        }
    }

    [Test]
    public void Copy_and_accumulate_copies_exactly_and_sums_like_accumulate()
    {
        var random = new Random(7);
        var source = new byte[9000 + 64];
        var destination = new byte[9000 + 128];
        foreach (int length in Lengths())
        {
            random.NextBytes(source);
            random.NextBytes(destination);
            var before = (byte[])destination.Clone();
            int from = random.Next(0, 33), to = random.Next(0, 33);
            ulong start = (ulong)random.Next(0, 1 << 20);
            ulong sum = Checksum.CopyAndAccumulate(start, source.AsSpan(from, length), destination.AsSpan(to));
            Checksum.Fold(sum).Should().Be(Checksum.Fold(Checksum.Accumulate(start, source.AsSpan(from, length))), $"length {length}");
            destination.AsSpan(to, length).SequenceEqual(source.AsSpan(from, length)).Should().BeTrue($"length {length} copied");
            destination.AsSpan(0, to).SequenceEqual(before.AsSpan(0, to)).Should().BeTrue("bytes before the copy untouched");
            destination.AsSpan(to + length).SequenceEqual(before.AsSpan(to + length)).Should().BeTrue("bytes after the copy untouched");
        }
    }

    [Test]
    public void Copy_and_accumulate_agrees_with_reference_past_the_lane_flush([Values((1 << 20) + 64, (3 << 20) + 3)] int length)
    {
        var source = Enumerable.Repeat((byte)0xFF, length).ToArray();
        source[length / 2] = 0x12;
        var destination = new byte[length];
        Checksum.Fold(Checksum.CopyAndAccumulate(0, source, destination)).Should().Be(ReferenceChecksum.Compute(source));
        destination.Should().Equal(source);
    }

    [Test]
    public void Data_including_its_own_checksum_is_valid_and_any_single_bit_flip_is_not()
    {
        var random = new Random(6);
        for (int i = 0; i < 100; i++)
        {
            var data = new byte[random.Next(4, 600) & ~1];
            random.NextBytes(data);
            data[0] = data[1] = 0;
            ushort c = Checksum.Compute(data);
            data[0] = (byte)(c >> 8);
            data[1] = (byte)c;
            Checksum.IsValid(Checksum.Accumulate(0, data)).Should().BeTrue();
            int bit = random.Next(data.Length * 8);
            data[bit / 8] ^= (byte)(1 << (bit % 8));
            Checksum.IsValid(Checksum.Accumulate(0, data)).Should().BeFalse();
        }
    }

    private static byte[] Bytes(Ipv4Address a)
    {
        var b = new byte[4];
        a.Write(b);
        return b;
    }
}
