using FluentAssertions;
using Netstack.Cli.Live;
using Netstack.Drivers.Loops;
using Netstack.Time;
using NUnit.Framework;

namespace Netstack.Tests.Tap;

/// <summary>The per-connection limits of the live services, on the virtual clock: header timeout, idle
/// timeout, and the cap that makes room for a fresh client by ending the least recently active one.</summary>
[TestFixture]
public class ConnectionLimitsTests
{
    private static readonly ConnectionLimits Limits = new()
    {
        HeaderTimeout = Duration.FromSeconds(10), IdleTimeout = Duration.FromSeconds(60), MaxConnections = 3,
    };

    private sealed class Connection
    {
        public Connection(VirtualEventLoop loop, ConnectionLimits limits)
        {
            Stream = new GuardedStream(new ScriptedStream("0123456789"u8.ToArray(), 1), loop, limits,
                () => EndedAt = loop.Now);
        }

        public GuardedStream Stream { get; }
        public Instant? EndedAt { get; private set; }
    }

    [Test]
    public void A_head_not_complete_within_the_header_timeout_ends_the_connection_even_while_bytes_trickle()
    {
        var loop = new VirtualEventLoop();
        var c = new Connection(loop, Limits);
        c.Stream.AwaitingHead();
        var buffer = new byte[1];
        for (int s = 1; s <= 9; s++)
        {
            loop.RunUntil(Instant.Zero + Duration.FromSeconds(s));
            c.Stream.ReadAsync(buffer).AsTask().Wait(); // one byte a second keeps it from being idle
        }
        c.EndedAt.Should().BeNull("9 s is within the header timeout");
        loop.RunUntil(Instant.Zero + Duration.FromSeconds(9.999));
        c.EndedAt.Should().BeNull();
        loop.RunUntil(Instant.Zero + Duration.FromSeconds(10));
        c.EndedAt.Should().Be(Instant.Zero + Duration.FromSeconds(10));
        c.Stream.ExpiredBecause.Should().Contain("request head within 10 s");
    }

    [Test]
    public void A_head_received_in_time_stops_the_header_timer()
    {
        var loop = new VirtualEventLoop();
        var c = new Connection(loop, Limits);
        c.Stream.AwaitingHead();
        loop.RunUntil(Instant.Zero + Duration.FromSeconds(5));
        c.Stream.HeadReceived();
        loop.RunUntil(Instant.Zero + Duration.FromSeconds(59));
        c.EndedAt.Should().BeNull();
    }

    [Test]
    public void A_connection_without_reads_or_writes_ends_after_the_idle_timeout_counted_from_its_last_one()
    {
        var loop = new VirtualEventLoop();
        var c = new Connection(loop, Limits);
        loop.RunUntil(Instant.Zero + Duration.FromSeconds(30));
        c.Stream.WriteAsync(new byte[1]).AsTask().Wait();
        loop.RunUntil(Instant.Zero + Duration.FromSeconds(89.999));
        c.EndedAt.Should().BeNull("the write at 30 s restarted the idle time");
        loop.RunUntil(Instant.Zero + Duration.FromSeconds(90));
        c.EndedAt.Should().Be(Instant.Zero + Duration.FromSeconds(90));
        c.Stream.ExpiredBecause.Should().Contain("idle for 60 s");
    }

    [Test]
    public void Over_the_cap_the_least_recently_active_connection_ends_and_the_fresh_one_stays()
    {
        var loop = new VirtualEventLoop();
        var table = new ConnectionTable(Limits.MaxConnections);
        var slow = new List<Connection>();
        for (int i = 0; i < 3; i++)
        {
            loop.RunUntil(Instant.Zero + Duration.FromSeconds(i + 1));
            var c = new Connection(loop, Limits);
            table.Add(c.Stream);
            slow.Add(c);
        }
        loop.RunUntil(Instant.Zero + Duration.FromSeconds(5));
        slow[0].Stream.WriteAsync(new byte[1]).AsTask().Wait(); // the first is now the most recently active
        var fresh = new Connection(loop, Limits);
        table.Add(fresh.Stream);
        table.Count.Should().Be(3);
        table.Evicted.Should().Be(1);
        slow.Select(c => c.EndedAt is not null).Should().Equal(false, true, false);
        fresh.EndedAt.Should().BeNull();
        slow[1].Stream.ExpiredBecause.Should().Contain("connection cap of 3");
    }
}
