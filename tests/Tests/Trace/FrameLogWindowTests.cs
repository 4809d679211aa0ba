using FluentAssertions;
using Netstack.Drivers.Capture;
using Netstack.Harness.Trace;
using Netstack.Time;
using NUnit.Framework;

namespace Netstack.Tests.Trace;

/// <summary>A window's frames from the log (what a frame expectation with <c>at:</c> counts): found by binary search in
/// a time-ordered log, by a scan when a clock went back, inclusive at both ends either way.</summary>
public class FrameLogWindowTests
{
    [TestCase(new long[] { 0, 5, 5, 5, 9, 12, 12, 20 }, true)]
    [TestCase(new long[] { 0, 5, 12, 5, 9, 20, 5, 12 }, false)]
    public void Between_returns_the_frames_in_the_window_in_recording_order(long[] times, bool ordered)
    {
        var log = new FrameLog();
        foreach (var t in times) log.Write(new Instant(t), new byte[60], new FrameContext("a", FrameDirection.Outbound));
        log.IsTimeOrdered.Should().Be(ordered);
        foreach (var (start, end) in new[] { (5L, 12L), (0L, 0L), (6L, 8L), (13L, long.MaxValue), (21L, 30L), (-3L, 5L) })
        {
            var expected = log.Frames.Where(f => f.Time.Nanoseconds >= start && f.Time.Nanoseconds <= end).Select(f => f.Number);
            log.Between(new Instant(start), new Instant(end)).Select(f => f.Number).Should().Equal(expected, $"window {start}..{end}");
        }
    }
}
