using FluentAssertions;
using Netstack.Time;
using NUnit.Framework;

namespace Netstack.Tests.Time;

/// <summary>The one time model: <see cref="Duration"/> and <see cref="Instant"/> keep whole nanoseconds, round
/// fractional inputs to the nearest one, and saturate rather than overflow at "never".</summary>
[TestFixture]
public class DurationTests
{
    [Test]
    public void Units_convert_exactly_in_nanoseconds()
    {
        Duration.FromSeconds(3).Nanoseconds.Should().Be(3 * Duration.NanosecondsPerSecond);
        Duration.FromMilliseconds(7).Nanoseconds.Should().Be(7_000_000);
        Duration.FromMicroseconds(9).Nanoseconds.Should().Be(9_000);
        Duration.FromMinutes(2).Should().Be(Duration.FromSeconds(120));
        Duration.FromHours(2).Should().Be(Duration.FromMinutes(120));
        (Duration.FromNanoseconds(1) + Duration.FromNanoseconds(2)).Nanoseconds.Should().Be(3, "no 100 ns tick in between");
        (Duration.FromNanoseconds(7) * 3).Nanoseconds.Should().Be(21);
        (Duration.FromNanoseconds(7) / 2).Nanoseconds.Should().Be(3, "whole division truncates toward zero");
        (Duration.FromMilliseconds(3) / Duration.FromMilliseconds(2)).Should().Be(1.5);
        Duration.FromSeconds(1).WholeMilliseconds.Should().Be(1000);
    }

    [TestCase(1.5, 1_500_000_000L)]
    [TestCase(0.0000000014, 1L)]
    [TestCase(0.0000000015, 2L)]
    [TestCase(0.1, 100_000_000L)]
    [TestCase(-0.25, -250_000_000L)]
    public void Fractional_seconds_round_to_the_nearest_nanosecond(double seconds, long nanoseconds)
    {
        Duration.FromSeconds(seconds).Nanoseconds.Should().Be(nanoseconds);
    }

    [Test]
    public void Fractional_milliseconds_and_scaling_round_to_the_nearest_nanosecond()
    {
        Duration.FromMilliseconds(0.0000004).Nanoseconds.Should().Be(0);
        Duration.FromMilliseconds(0.0000006).Nanoseconds.Should().Be(1);
        (Duration.FromNanoseconds(10) * 0.26).Nanoseconds.Should().Be(3);
    }

    [Test]
    public void Out_of_range_input_throws_instead_of_wrapping()
    {
        FluentActions.Invoking(() => Duration.FromSeconds(1e12)).Should().Throw<OverflowException>();
        FluentActions.Invoking(() => Duration.FromSeconds(double.NaN)).Should().Throw<OverflowException>();
        FluentActions.Invoking(() => Duration.FromSeconds(long.MaxValue)).Should().Throw<OverflowException>();
        FluentActions.Invoking(() => Duration.MaxValue + Duration.FromNanoseconds(1)).Should().Throw<OverflowException>();
    }

    [Test]
    public void TimeSpan_is_converted_exactly_one_way_and_truncated_to_its_tick_the_other()
    {
        Duration.FromTimeSpan(TimeSpan.FromMilliseconds(1.5)).Nanoseconds.Should().Be(1_500_000);
        Duration.FromNanoseconds(1_234_567).ToTimeSpan().Ticks.Should().Be(12_345);
    }

    [Test]
    public void Comparisons_min_max_and_abs()
    {
        var a = Duration.FromNanoseconds(5);
        var b = Duration.FromNanoseconds(6);
        (a < b).Should().BeTrue();
        (b >= a).Should().BeTrue();
        Duration.Min(a, b).Should().Be(a);
        Duration.Max(a, b).Should().Be(b);
        (-a).Abs().Should().Be(a);
        (-a).IsNegative.Should().BeTrue();
    }

    [TestCase(1_250_000_000L, "1.250s")]
    [TestCase(1_000L, "0.000001s")]
    [TestCase(0L, "0.000s")]
    [TestCase(2_000_000_000L, "2.000s")]
    [TestCase(1L, "0.000000001s")]
    public void Prints_seconds_with_at_least_millisecond_precision(long nanoseconds, string text)
    {
        Duration.FromNanoseconds(nanoseconds).ToString().Should().Be(text);
    }
}

[TestFixture]
public class InstantTests
{
    [Test]
    public void Instant_minus_instant_is_the_exact_duration_between_them()
    {
        var earlier = new Instant(1_000_000_001);
        var later = new Instant(1_000_000_158);
        (later - earlier).Should().Be(Duration.FromNanoseconds(157), "no truncation to 100 ns ticks");
        (earlier - later).Should().Be(Duration.FromNanoseconds(-157));
        later.Since(earlier).Should().Be(later - earlier);
    }

    [Test]
    public void Instant_plus_and_minus_a_duration_is_exact()
    {
        var t = new Instant(10);
        (t + Duration.FromNanoseconds(33)).Nanoseconds.Should().Be(43);
        (t - Duration.FromNanoseconds(33)).Nanoseconds.Should().Be(-23);
        (t + Duration.FromSeconds(1) - Duration.FromSeconds(1)).Should().Be(t);
    }

    [Test]
    public void Now_plus_forever_saturates_at_never()
    {
        (new Instant(5) + Duration.MaxValue).Should().Be(Instant.MaxValue);
        (Instant.MaxValue + Duration.FromSeconds(1)).Should().Be(Instant.MaxValue);
        (new Instant(-5) - Duration.MaxValue).Nanoseconds.Should().Be(long.MinValue);
        (new Instant(5) - Duration.FromNanoseconds(long.MinValue)).Should().Be(Instant.MaxValue);
    }

    [Test]
    public void Fractional_milliseconds_and_seconds_round_to_the_nearest_nanosecond()
    {
        Instant.FromMilliseconds(1.0000004).Nanoseconds.Should().Be(1_000_000);
        Instant.FromMilliseconds(1.0000006).Nanoseconds.Should().Be(1_000_001);
        Instant.FromSeconds(2.5).Nanoseconds.Should().Be(2_500_000_000);
        Instant.FromSeconds(2.5).TotalMilliseconds.Should().Be(2500);
    }

    [TestCase(1_250_000_000L, "1.250s")]
    [TestCase(1_234_567L, "0.001235s")]
    [TestCase(0L, "0.000s")]
    public void Prints_seconds_as_traces_do(long nanoseconds, string text)
    {
        new Instant(nanoseconds).ToString().Should().Be(text);
    }
}
