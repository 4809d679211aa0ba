using FluentAssertions;
using Netstack.Tests.Wire;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>The send ring's copy-with-checksum, which Emit uses to build segments, across the ring's
/// seam at even and odd positions.</summary>
public class SendBufferTests
{
    [Test]
    public void Copy_with_sum_matches_the_bytes_and_their_checksum_wherever_the_ring_wraps()
    {
        var random = new Random(11);
        var buffer = new SendBuffer(4096);
        var shadow = new List<byte>(); // what the ring should hold, SND.UNA first
        int wraps = 0, oddSeams = 0;
        int head = 0; // where SND.UNA sits in the ring, which is 4096 bytes (a pooled array of exactly that size, rented anew when empty)
        for (int round = 0; round < 400; round++)
        {
            var data = new byte[random.Next(1, buffer.Free + 1)];
            random.NextBytes(data);
            int written = buffer.Write(data);
            shadow.AddRange(data.Take(written));
            int offset = random.Next(0, shadow.Count);
            int length = random.Next(1, shadow.Count - offset + 1);
            var segment = new byte[length];
            ulong sum = buffer.CopyToAndSum(offset, segment);
            int start = (head + offset) % 4096;
            if (start + length > 4096)
            {
                wraps++;
                if (((4096 - start) & 1) != 0) oddSeams++;
            }
            var expected = shadow.Skip(offset).Take(length).ToArray();
            segment.Should().Equal(expected, $"round {round}");
            Checksum.Fold(sum).Should().Be(ReferenceChecksum.Compute(expected), $"round {round}");
            int consumed = random.Next(0, shadow.Count + 1);
            buffer.Consume(consumed);
            shadow.RemoveRange(0, consumed);
            head = shadow.Count == 0 ? 0 : (head + consumed) % 4096; // empty: the ring went back to the pool
        }
        // The copies crossed the ring's seam, at odd positions too, so both paths were checked.
        wraps.Should().BeGreaterThan(20);
        oddSeams.Should().BeGreaterThan(5);
    }
}
