using FluentAssertions;
using Netstack.Drivers.Loops;
using Netstack.Time;
using NUnit.Framework;

namespace Netstack.Tests.Wire;

/// <summary>The event loop runs events in (due time, scheduling order), whether they wait in its heap or
/// in its fast queue for events due at the current instant. Checked against a naive reference loop.</summary>
public class VirtualEventLoopOrderTests
{
    private sealed class Recorder(VirtualEventLoop loop, Random random, List<(long Time, int Id)> log) : IScheduledAction
    {
        private int _nextId = 1000;
        public void Run(long token)
        {
            log.Add((loop.Now.Nanoseconds, (int)token));
            for (int i = random.Next(3); i > 0; i--)
                loop.Schedule(loop.Now + Duration.FromNanoseconds(Delays[random.Next(Delays.Length)]), this, _nextId++);
        }
    }

    /// <summary>Delays in nanoseconds: mostly "now", some soon, some later.</summary>
    private static readonly long[] Delays = [0, 0, 0, 100, 100, 200, 1_000];

    /// <summary>The same workload on a sorted list: the obviously correct order.</summary>
    private static List<(long Time, int Id)> Reference(int seed, int initial, long untilNs)
    {
        var random = new Random(seed);
        var pending = new List<(long Due, long Seq, int Id)>();
        long seq = 0, now = 0;
        int nextId = 1000;
        var log = new List<(long, int)>();
        for (int i = 0; i < initial; i++) pending.Add((random.Next(5) * 100L, seq++, i));
        while (pending.Count > 0)
        {
            var next = pending.MinBy(p => (p.Due, p.Seq));
            if (next.Due > untilNs) break;
            pending.Remove(next);
            now = next.Due;
            log.Add((now, next.Id));
            for (int i = random.Next(3); i > 0; i--)
                pending.Add((now + Delays[random.Next(Delays.Length)], seq++, nextId++));
        }
        return log;
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void Events_run_in_due_then_scheduling_order(int seed)
    {
        const int initial = 20;
        const long until = 3_000;
        var loop = new VirtualEventLoop();
        var random = new Random(seed);
        var log = new List<(long Time, int Id)>();
        var recorder = new Recorder(loop, random, log);
        for (int i = 0; i < initial; i++) loop.Schedule(new Instant(random.Next(5) * 100L), recorder, i);
        loop.RunUntil(new Instant(until));

        var expected = Reference(seed, initial, until);
        expected.Count.Should().BeGreaterThan(50);
        log.Should().Equal(expected);
    }

    [Test]
    public void An_event_scheduled_for_now_runs_after_earlier_scheduled_events_due_now()
    {
        var loop = new VirtualEventLoop();
        var order = new List<string>();
        var late = new Named("scheduled-at-0-for-1", order);
        var now1 = new Named("scheduled-at-1-for-1", order);
        var trigger = new Trigger(loop, now1, order);
        loop.Schedule(Instant.FromMilliseconds(1), trigger, 0);
        loop.Schedule(Instant.FromMilliseconds(1), late, 0);
        loop.RunUntil(Instant.FromMilliseconds(2));
        order.Should().Equal("trigger", "scheduled-at-0-for-1", "scheduled-at-1-for-1");
    }

    private sealed class Named(string name, List<string> order) : IScheduledAction
    {
        public void Run(long token) => order.Add(name);
    }

    private sealed class Trigger(VirtualEventLoop loop, IScheduledAction next, List<string> order) : IScheduledAction
    {
        public void Run(long token)
        {
            order.Add("trigger");
            loop.Schedule(loop.Now, next, 0);
        }
    }
}
