using FluentAssertions;
using Netstack.Harness.Benchmarks;
using NUnit.Framework;

namespace Netstack.Tests.Benchmarks;

/// <summary>The connection-scale workload at a small size: every connection establishes and carries its request and
/// reply, and once idle none of them holds a send or receive ring.</summary>
public class ConnectionScaleWorkloadTests
{
    [Test]
    public void Idle_connections_hold_no_buffers_and_cost_a_bounded_heap()
    {
        var result = ConnectionScaleWorkload.Measure(500);
        result.Connections.Should().Be(500);
        result.BufferBytesHeld.Should().Be(0, "every byte was acknowledged and read: the rings are back in the pool");
        result.BytesPerEndpoint.Should().BePositive().And.BeLessThan(64 * 1024,
            "an idle connection end is its control block, stream and demultiplexing entry, not a 256 KB ring");
    }
}
