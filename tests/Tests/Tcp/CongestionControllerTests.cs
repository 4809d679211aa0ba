using FluentAssertions;
using Netstack.Time;
using Netstack.Transport.Tcp;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>The congestion-control interface on its own: the same events through NewReno, CUBIC and BBR, each
/// answering as its RFC or draft says.</summary>
public class CongestionControllerTests
{
    private const int Mss = 1000;

    private static ICongestionController Create(CongestionAlgorithm algorithm, int iw = 10) =>
        ICongestionController.Create(algorithm, Mss, iw, new SeededRandom(1), Instant.Zero);

    [TestCase(CongestionAlgorithm.NewReno, typeof(NewRenoController))]
    [TestCase(CongestionAlgorithm.Cubic, typeof(CubicController))]
    [TestCase(CongestionAlgorithm.Bbr, typeof(BbrController))]
    public void The_setting_picks_the_implementation(CongestionAlgorithm algorithm, Type expected) =>
        Create(algorithm).Should().BeOfType(expected);

    [TestCase(1000, 4)]
    [TestCase(1460, 3)]
    [TestCase(4000, 2)]
    public void Without_a_configured_initial_window_it_is_rfc_5681s_for_the_mss(int mss, int segments)
    {
        foreach (var algorithm in Enum.GetValues<CongestionAlgorithm>())
            ICongestionController.Create(algorithm, mss, 0, new SeededRandom(1), Instant.Zero).Cwnd
                .Should().Be(segments * mss, "{0}: RFC 5681 (3.1)", algorithm);
    }

    [TestCase(CongestionAlgorithm.NewReno, 10_000, 13_000)]
    [TestCase(CongestionAlgorithm.Cubic, 14_000, 17_000)]
    public void Loss_based_recovery_cuts_ssthresh_and_inflates_for_the_three_duplicate_acks(CongestionAlgorithm algorithm,
        int ssthresh, int cwnd)
    {
        var cc = Create(algorithm, iw: 20);
        cc.EnterRecovery(20_000, new SequenceNumber(50_000), inflateForDupAcks: true);
        cc.Ssthresh.Should().Be(ssthresh, "NewReno halves the flight (RFC 5681 eq. 4), CUBIC keeps β = 0.7 (RFC 9438)");
        cc.Cwnd.Should().Be(cwnd, "ssthresh + 3 SMSS (RFC 5681 (3.2) step 3)");
        cc.InRecovery.Should().BeTrue();
        cc.RecoveryPoint.Should().Be(new SequenceNumber(50_000));
        cc.OnDuplicateAckInRecovery();
        cc.Cwnd.Should().Be(cwnd + Mss, "RFC 6582 (3.2) step 4");
        cc.ExitRecovery(4_000);
        cc.Cwnd.Should().Be(5_000, "min(ssthresh, FlightSize + SMSS)");
        cc.InRecovery.Should().BeFalse();
    }

    [Test]
    public void Bbr_recovery_keeps_ssthresh_and_leaves_the_window_to_its_model()
    {
        var cc = Create(CongestionAlgorithm.Bbr, iw: 20);
        cc.EnterRecovery(20_000, new SequenceNumber(50_000), inflateForDupAcks: true);
        cc.Ssthresh.Should().Be(int.MaxValue);
        cc.Cwnd.Should().Be(20_000);
        cc.InRecovery.Should().BeTrue();
        cc.OnDuplicateAckInRecovery();
        cc.OnPartialAck(5_000);
        cc.Cwnd.Should().Be(20_000);
        cc.OnRetransmissionTimeout(20_000);
        cc.Cwnd.Should().Be(Mss, "the loss window");
        cc.Ssthresh.Should().Be(int.MaxValue);
        ((BbrController)cc).Model.PriorCwnd.Should().Be(20_000, "the window to restore after the timeout's recovery");
    }

    [TestCase(CongestionAlgorithm.NewReno, 10_000)]
    [TestCase(CongestionAlgorithm.Cubic, 14_000)]
    public void A_timeout_reduces_ssthresh_and_drops_to_one_segment(CongestionAlgorithm algorithm, int ssthresh)
    {
        var cc = Create(algorithm, iw: 20);
        cc.OnRetransmissionTimeout(20_000);
        cc.Cwnd.Should().Be(Mss);
        cc.Ssthresh.Should().Be(ssthresh);
        cc.Restore(20_000, int.MaxValue);
        cc.Cwnd.Should().Be(20_000, "undo of a spurious timeout");
        cc.Ssthresh.Should().Be(int.MaxValue);
    }

    [TestCase(CongestionAlgorithm.NewReno)]
    [TestCase(CongestionAlgorithm.Cubic)]
    public void Window_based_controllers_take_prr_and_neither_sample_nor_pace(CongestionAlgorithm algorithm)
    {
        var cc = Create(algorithm);
        cc.UsesProportionalRateReduction.Should().BeTrue();
        cc.DeliveryRate.Should().BeNull();
        cc.PacingRate(Duration.FromMilliseconds(10)).Should().Be(0);
    }

    [Test]
    public void Bbr_samples_the_delivery_rate_and_paces_from_the_handshake_rtt_without_prr()
    {
        var cc = Create(CongestionAlgorithm.Bbr);
        cc.UsesProportionalRateReduction.Should().BeFalse();
        cc.DeliveryRate.Should().NotBeNull();
        cc.PacingRate(Duration.FromMilliseconds(10)).Should().BeApproximately(BbrModel.HighGain * 10 * Mss / 0.010, 1,
            "pacing_gain 2/ln 2 x IW / SRTT");
        cc.PacingRate(Duration.FromMilliseconds(100)).Should().BeApproximately(BbrModel.HighGain * 10 * Mss / 0.010, 1,
            "the first answer fixed the initial rate");
    }

    [Test]
    public void Slow_start_grows_by_at_most_one_segment_per_ack_and_congestion_avoidance_by_one_per_window()
    {
        var cc = Create(CongestionAlgorithm.NewReno, iw: 10);
        cc.OnNewAck(3 * Mss, Instant.Zero, Duration.Zero);
        cc.Cwnd.Should().Be(11 * Mss, "RFC 3465 L = 1 SMSS");
        cc.OnRetransmissionTimeout(4 * Mss); // ssthresh 2 SMSS, cwnd 1 SMSS
        cc.OnNewAck(Mss, Instant.Zero, Duration.Zero);
        cc.Cwnd.Should().Be(2 * Mss);
        cc.OnNewAck(Mss, Instant.Zero, Duration.Zero);
        cc.Cwnd.Should().Be(2 * Mss, "congestion avoidance: a window's worth of bytes acknowledged first");
        cc.OnNewAck(Mss, Instant.Zero, Duration.Zero);
        cc.Cwnd.Should().Be(3 * Mss);
    }
}
