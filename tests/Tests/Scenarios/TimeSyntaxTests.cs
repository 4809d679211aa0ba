using FluentAssertions;
using Netstack.Harness.Scenarios;
using Netstack.Time;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

public class TimeSyntaxTests
{
    [TestCase("0", 0L)]
    [TestCase("250ms", 250_000_000L)]
    [TestCase("1.5s", 1_500_000_000L)]
    [TestCase("100us", 100_000L)]
    [TestCase("7ns", 7L)]
    [TestCase("2m", 120_000_000_000L)]
    public void Parses_durations(string text, long nanoseconds)
    {
        TimeSyntax.TryParseDuration(text, out var duration).Should().BeTrue();
        duration.Should().Be(Duration.FromNanoseconds(nanoseconds));
    }

    [TestCase("10")]
    [TestCase("1.5")]
    [TestCase("-1s")]
    [TestCase("1 sec")]
    [TestCase("0.5ns")]
    public void Rejects_bad_durations(string text) => TimeSyntax.TryParseDuration(text, out _).Should().BeFalse();

    [Test]
    public void Relative_points_resolve_against_the_previous_step()
    {
        TimeSpec.TryParse("+1s", out var spec).Should().BeTrue();
        spec.IsPoint.Should().BeTrue();
        spec.Start!.Value.Resolve(Instant.FromSeconds(2)).Should().Be(Instant.FromSeconds(3));
    }

    [Test]
    public void Windows_may_be_relative_or_open()
    {
        TimeSpec.TryParse("+0..+5ms", out var rel).Should().BeTrue();
        (rel.Start!.Value.Resolve(new Instant(1_000)), rel.End!.Value.Resolve(new Instant(1_000))).Should().Be((new Instant(1_000), new Instant(5_001_000)));
        TimeSpec.TryParse("1s..", out var open).Should().BeTrue();
        open.End.Should().BeNull();
        TimeSpec.TryParse("..2s", out var upTo).Should().BeTrue();
        upTo.Start.Should().BeNull();
        TimeSpec.TryParse("2s..1s", out _).Should().BeFalse();
        TimeSpec.TryParse("..", out _).Should().BeFalse();
    }

    [TestCase("100Mbit", 100_000_000L)]
    [TestCase("1Gbit", 1_000_000_000L)]
    [TestCase("64kbps", 64_000L)]
    public void Parses_rates(string text, long bps)
    {
        TimeSyntax.TryParseRate(text, out var v).Should().BeTrue();
        v.Should().Be(bps);
    }
}
