using FluentAssertions;
using Netstack.Drivers.Loops;
using Netstack.Time;
using Netstack.Transport.Tcp;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>Issue 18 #10: stopped and cancelled timers stayed queued in the event loop until their due time, holding
/// the connection they belong to: memory grew with the connection rate instead of the live states. The queue must
/// stay within a bound of the live timers.</summary>
public class TimerQueueBoundTests
{
    private sealed class Noop : IScheduledAction
    {
        public void Run(long token) { }
    }

    [Test]
    public void Cancelled_timers_do_not_accumulate_in_the_virtual_loop()
    {
        var loop = new VirtualEventLoop();
        var keep = new ScheduledTimer(loop, () => { });
        keep.Arm(loop.Now + Duration.FromHours(1));
        for (int i = 0; i < 100_000; i++)
        {
            var t = new ScheduledTimer(loop, () => { });
            t.Arm(loop.Now + Duration.FromHours(2));
            t.Cancel();
        }

        loop.CountLiveEvents().Should().Be(1);
        loop.PendingEvents.Should().BeLessThanOrEqualTo(EventQueueCompactorLimit(1));
        loop.NextDue.Should().Be(Instant.Zero + Duration.FromHours(1));
    }

    [Test]
    public void Compaction_keeps_the_order_of_live_events_with_equal_due_times()
    {
        var loop = new VirtualEventLoop();
        var ran = new List<int>();
        var timers = new List<ScheduledTimer>();
        for (int i = 0; i < 2_000; i++)
        {
            int id = i;
            var t = new ScheduledTimer(loop, () => ran.Add(id));
            t.Arm(loop.Now + Duration.FromSeconds(1 + i % 3));
            timers.Add(t);
        }
        for (int i = 0; i < timers.Count; i++)
            if (i % 2 == 1) timers[i].Cancel(); // compactions happen while these are cancelled and others armed

        loop.RunUntil(loop.Now + Duration.FromSeconds(10));

        var expected = Enumerable.Range(0, 2_000).Where(i => i % 2 == 0).OrderBy(i => i % 3).ThenBy(i => i).ToList();
        ran.Should().Equal(expected);
    }

    /// <summary>2,000 request/response connections, each closed by the server, with keepalive on (a 2-hour timer
    /// stopped at close) and a 1 s TIME-WAIT: once they are done, the loop holds only the timers of live states.</summary>
    [Test]
    public void Closing_thousands_of_connections_leaves_only_live_timers_queued()
    {
        var tcp = new TcpSettings { Keepalive = true, TimeWaitDuration = Duration.FromSeconds(1) };
        var w = new TcpWorld(a: tcp, b: tcp);
        var loop = (VirtualEventLoop)w.Sim.Loop;
        var listener = w.B.ListenTcp(80);
        const int connections = 2_000;
        w.Spawn(async () =>
        {
            var buffer = new byte[64];
            while (true)
            {
                var s = await listener.AcceptAsync();
                _ = await s.ReadAsync(buffer); // the 4-byte request, whatever of it has come
                await s.WriteAsync(new byte[100]);
                await s.DisposeAsync(); // the server closes: it holds the TIME-WAIT
            }
        });
        var clients = w.Spawn(async () =>
        {
            var buffer = new byte[256];
            for (int i = 0; i < connections; i++)
            {
                await using var s = await w.A.ConnectTcpAsync(TcpWorld.BIp, 80);
                await s.WriteAsync(new byte[] { 1, 2, 3, 4 });
                while (await s.ReadAsync(buffer) > 0) { }
            }
        });
        w.RunUntil(() => clients.IsCompleted, 3600).Should().BeTrue();
        clients.Exception.Should().BeNull();
        w.RunFor(5); // past the last TIME-WAIT

        int liveStates = w.A.Tcp.Connections.Count + w.B.Tcp.Connections.Count;
        int liveEvents = loop.CountLiveEvents();
        TestContext.Out.WriteLine($"after {connections} connections: {liveStates} live connections, {liveEvents} live " +
            $"queued runs, {loop.PendingEvents} queued runs in all");
        liveStates.Should().Be(0);
        liveEvents.Should().BeLessThan(32, "ARP refreshes and the like, not one timer per closed connection");
        loop.PendingEvents.Should().BeLessThanOrEqualTo(EventQueueCompactorLimit(liveEvents));
    }

    /// <summary>What the loop may hold for <paramref name="live"/> current runs: twice as many, or the floor under
    /// which it does not bother to compact (256).</summary>
    private static int EventQueueCompactorLimit(int live) => Math.Max(256, 2 * live) + 1;
}
