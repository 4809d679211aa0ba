using FluentAssertions;
using Netstack.Harness.Running;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>The buffer a scenario's TCP connection reads into: bytes come out in the order they went in, across
/// growth, consumption and the compaction that reuses consumed room.</summary>
public class ReceivedBytesTests
{
    [Test]
    public void Appended_and_committed_bytes_come_out_in_order_across_growth_consumption_and_compaction()
    {
        var received = new ReceivedBytes();
        var expected = new List<byte>();
        byte next = 0;
        var random = new Random(7);
        for (int round = 0; round < 400; round++)
        {
            int add = random.Next(0, 3000);
            if (round % 2 == 0)
            {
                var chunk = new byte[add];
                for (int i = 0; i < add; i++) chunk[i] = next++;
                received.Append(chunk);
                expected.AddRange(chunk);
            }
            else
            {
                // As the stack's receive path fills it: room asked for, fewer bytes written.
                var space = received.FreeSpace(add);
                space.Length.Should().Be(add);
                int written = add / 2;
                for (int i = 0; i < written; i++) space[i] = next++;
                received.Commit(written);
                expected.AddRange(space[..written].ToArray());
            }
            int consume = random.Next(0, received.Count + 1);
            received.Span[..consume].SequenceEqual(expected.GetRange(0, consume).ToArray()).Should().BeTrue($"round {round}");
            received.Consume(consume);
            expected.RemoveRange(0, consume);
            received.Count.Should().Be(expected.Count);
            received.ToArray().Should().Equal(expected);
        }
        received.Invoking(r => r.Consume(received.Count + 1)).Should().Throw<ArgumentOutOfRangeException>();
        received.Release();
        received.Count.Should().Be(0);
        received.Span.Length.Should().Be(0);
    }
}
