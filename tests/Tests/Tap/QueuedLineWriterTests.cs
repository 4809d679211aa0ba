using FluentAssertions;
using Netstack.Cli.Live;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Tap;

/// <summary>The loop's output goes through a queue: a writer that blocks (a pipe nobody reads) does not block
/// the caller, lines come out whole and in order, and what did not fit is counted.</summary>
[TestFixture]
public class QueuedLineWriterTests
{
    /// <summary>A target whose writes block until released, like a full pipe.</summary>
    private sealed class BlockedWriter : StringWriter
    {
        public readonly ManualResetEventSlim Released = new();

        public override void WriteLine(string? value)
        {
            Released.Wait();
            base.WriteLine(value);
        }
    }

    [Test]
    public void Writing_does_not_wait_for_a_blocked_target_and_the_lines_arrive_in_order_once_it_moves()
    {
        var target = new BlockedWriter();
        var queued = new QueuedLineWriter(target, "test");
        var writing = Task.Run(() =>
        {
            queued.Write("discard 10.0.0.1:5 ");
            queued.WriteLine("3 bytes");
            for (int i = 0; i < 100; i++) queued.WriteLine($"line {i}");
        });
        writing.Wait(TimeSpan.FromSeconds(10)).Should().BeTrue("the writer never waits on the target");
        target.Released.Set();
        queued.Dispose();
        var lines = target.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(101);
        lines[0].Should().Be("discard 10.0.0.1:5 3 bytes");
        lines[^1].Should().Be("line 99");
    }

    [Test]
    public void Lines_beyond_the_capacity_are_dropped_and_counted()
    {
        var target = new BlockedWriter();
        var queued = new QueuedLineWriter(target, "test");
        for (int i = 0; i < QueuedLineWriter.Capacity + 500; i++) queued.WriteLine("x");
        queued.Dropped.Should().BeInRange(499, 501, "the printer may have taken one line before blocking");
        target.Released.Set();
        queued.Dispose();
        target.ToString().Should().Contain($"harness: {queued.Dropped} lines of output were dropped");
    }
}
