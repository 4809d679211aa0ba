using FluentAssertions;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>RACK (RFC 8985 §6), PRR (RFC 6937), F-RTO (RFC 5682), D-SACK undo, the PSH bit of a retransmission and
/// the fixes the 20%-loss benchmark against the kernel found (tools/tcp-loss-bench),
/// each switched on alone in <see cref="TcpSettings"/>; every trace fails with its feature off.</summary>
public partial class LossRecoveryTraceTests
{
    private static uint S(int segment) => H(segment * Mss);

    /// <summary>With SACK and timestamps: <paramref name="segments"/> written, four sent, and 10 ms later one ACK
    /// SACKing segments 1..3 (segment 0 missing). Returns the first flight.</summary>
    private List<SentSegment> FourSentThenOneToThreeSacked(TcpSettings settings, int segments)
    {
        EstablishWithTimestamps(settings, sack: true);
        Stream.Write(Bytes(segments * Mss));
        var flight = Peer.TakeAll();
        flight.Should().HaveCount(4);
        Peer.RunFor(Duration.FromMilliseconds(10));
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: Ts(1100, flight[3].Options.TsVal, (S(1), S(4))));
        return flight;
    }

    [Test]
    public void Rack_deems_a_hole_lost_a_quarter_rtt_after_a_later_segment_is_sacked_without_three_duplicate_acks()
    {
        EstablishWithTimestamps(new TcpSettings { Rack = true, TailLossProbe = false, InitialWindowSegments = 4 }, sack: true);
        Stream.Write(Bytes(4 * Mss));
        var flight = Peer.TakeAll();
        flight.Should().HaveCount(4);
        // 10 ms later one duplicate ACK SACKs segment 1: segment 0, sent with it, is missing.
        Peer.RunFor(Duration.FromMilliseconds(10));
        var sackAt = Peer.Loop.Now;
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: Ts(1100, flight[1].Options.TsVal, (S(1), S(2))));
        // RACK.rtt = 10 ms; reordering window = min RTT / 4 = 2.5 ms (no reordering seen, under DupThresh SACKed).
        Peer.RunUntil(sackAt + Duration.FromMilliseconds(2.4));
        Peer.ExpectNothing();
        Peer.RunUntil(sackAt + Duration.FromMilliseconds(2.5));
        var rtx = Peer.Next();
        rtx.Seq.Should().Be(S(0));
        rtx.Length.Should().Be(Mss);
        Peer.ExpectNothing();
        Conn.InRecovery.Should().BeTrue();
        Peer.Host.Counters.TcpRackLosses.Should().Be(1);
    }

    [Test]
    public void Rack_detects_a_lost_retransmission_by_time()
    {
        EstablishWithTimestamps(new TcpSettings { Rack = true, TailLossProbe = false, InitialWindowSegments = 4 }, sack: true);
        Stream.Write(Bytes(4 * Mss));
        var flight = Peer.TakeAll();
        Peer.RunFor(Duration.FromMilliseconds(10));
        // Segment 0 lost; 1..3 SACKed at once: DupThresh reached, no reordering window: segment 0 goes now.
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: Ts(1100, flight[3].Options.TsVal, (S(1), S(4))));
        var first = Peer.Next();
        first.Seq.Should().Be(S(0));
        // Its retransmission is lost too. The application writes one more segment, which arrives and is SACKed 10 ms
        // after it went: sent after the retransmission, delivered: the retransmission is lost by time as well.
        Stream.Write(Bytes(Mss));
        var fresh = Peer.Next();
        fresh.Seq.Should().Be(S(4));
        Peer.RunFor(Duration.FromMilliseconds(10));
        var sackAt = Peer.Loop.Now;
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: Ts(1200, fresh.Options.TsVal, (S(1), S(5))));
        var again = Peer.TakeAll();
        again.Select(s => s.Seq).Should().Equal(S(0));
        again[0].Time.Should().Be(sackAt, "in recovery the reordering window is zero");
    }

    [Test]
    public void Prr_spreads_the_window_reduction_over_the_acks_of_recovery()
    {
        EstablishWithTimestamps(new TcpSettings { ProportionalRateReduction = true, TailLossProbe = false, InitialWindowSegments = 20 },
            sack: true);
        Stream.Write(Bytes(30 * Mss));
        var flight = Peer.TakeAll();
        flight.Should().HaveCount(20);
        Peer.RunFor(Duration.FromMilliseconds(10));
        uint ecr = flight[19].Options.TsVal;
        // Segment 0 is lost. The first duplicate ACK SACKs 1..3: recovery (ssthresh = 10 segments, RecoverFS = 20).
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: Ts(1100, ecr, (S(1), S(4))));
        Peer.TakeAll().Select(s => s.Seq).Should().Equal([S(0)], "the fast retransmit only: 3 x 10/20 - 1 < 1 segment");
        // Each further ACK delivers one segment: PRR sends ssthresh/RecoverFS = one segment every other ACK, where
        // RFC 6675 alone (cwnd = ssthresh at once, pipe 16) would send nothing until pipe fell below 10.
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: Ts(1101, ecr, (S(1), S(5))));
        Peer.TakeAll().Select(s => s.Seq).Should().Equal(S(20));
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: Ts(1102, ecr, (S(1), S(6))));
        Peer.ExpectNothing();
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: Ts(1103, ecr, (S(1), S(7))));
        Peer.TakeAll().Select(s => s.Seq).Should().Equal(S(21));
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: Ts(1104, ecr, (S(1), S(8))));
        Peer.ExpectNothing();
    }

    [Test]
    public void Prr_without_sack_counts_a_segment_per_duplicate_ack_instead_of_inflating_the_window()
    {
        EstablishWithTimestamps(new TcpSettings { ProportionalRateReduction = true, TailLossProbe = false, InitialWindowSegments = 20 });
        Stream.Write(Bytes(20 * Mss));
        var flight = Peer.TakeAll();
        flight.Should().HaveCount(20);
        Peer.RunFor(Duration.FromMilliseconds(10));
        uint ecr = flight[0].Options.TsVal;
        // Segment 0 is lost; three duplicate ACKs: fast retransmit, ssthresh = 10 segments, RecoverFS = 20.
        for (uint i = 0; i < 3; i++) Peer.Send(TcpFlags.Ack, P(0), H(0), options: Ts(1100 + i, ecr));
        Peer.TakeAll().Select(s => s.Seq).Should().Equal(S(0));
        Stream.Write(Bytes(10 * Mss));
        Peer.ExpectNothing();
        // Each duplicate ACK counts as one segment delivered: PRR sends ceil(delivered x 10/20) - out, one segment on
        // every other ACK from the sixth (the fast retransmit already used the first). NewReno's inflation (cwnd 13
        // segments + 1 per duplicate ACK against 20 outstanding) would send nothing before the eleventh.
        var sentPerAck = new List<int>();
        for (uint i = 3; i < 10; i++)
        {
            Peer.Send(TcpFlags.Ack, P(0), H(0), options: Ts(1100 + i, ecr));
            sentPerAck.Add(Peer.TakeAll().Count);
        }
        sentPerAck.Should().Equal(0, 0, 1, 0, 1, 0, 1);
        Conn.InRecovery.Should().BeTrue();
    }

    [Test]
    public void Frto_sends_new_data_after_a_timeout_whose_first_ack_covers_unretransmitted_data_and_undoes_it()
    {
        EstablishWithTimestamps(new TcpSettings { ForwardRto = true, TailLossProbe = false, InitialWindowSegments = 4 });
        Stream.Write(Bytes(6 * Mss));
        var flight = Peer.TakeAll();
        flight.Should().HaveCount(4);
        var sentAt = flight[0].Time;
        // The ACKs are delayed past the 1 s RTO: only segment 0 goes again.
        Peer.RunUntil(sentAt + Duration.FromSeconds(1));
        Peer.TakeAll().Select(s => s.Seq).Should().Equal(S(0));
        // The first ACK after it acknowledges segments 0 and 1: more than was resent. F-RTO (step 2b) sends two new
        // segments instead of resending 2 and 3.
        Peer.RunFor(Duration.FromMilliseconds(10));
        Peer.Send(TcpFlags.Ack, P(0), S(2), options: Ts(1100, flight[1].Options.TsVal));
        Peer.TakeAll().Select(s => s.Seq).Should().Equal(S(4), S(5));
        // The second ACK advances SND.UNA over data never resent: the timeout was spurious (step 3b); the window
        // from before it is restored.
        Peer.Send(TcpFlags.Ack, P(0), S(4), options: Ts(1101, flight[3].Options.TsVal));
        Peer.Host.Counters.TcpSpuriousTimeouts.Should().Be(1);
        Conn.CongestionWindow.Should().BeGreaterThanOrEqualTo(4 * Mss);
        Conn.SlowStartThreshold.Should().Be(int.MaxValue);
        Peer.ExpectNothing();
    }

    [Test]
    public void Frto_goes_back_when_the_first_ack_after_the_timeout_is_a_duplicate()
    {
        EstablishWithTimestamps(new TcpSettings { ForwardRto = true, TailLossProbe = false, InitialWindowSegments = 4 });
        Stream.Write(Bytes(6 * Mss));
        var flight = Peer.TakeAll();
        Peer.RunUntil(flight[0].Time + Duration.FromSeconds(1));
        Peer.TakeAll().Select(s => s.Seq).Should().Equal(S(0));
        // Segment 0's retransmission is acknowledged alone: a real loss; slow start resends 1 and 2 (cwnd 2).
        Peer.RunFor(Duration.FromMilliseconds(10));
        Peer.Send(TcpFlags.Ack, P(0), S(0), options: Ts(1100, flight[0].Options.TsVal));
        Peer.ExpectNothing();
        Peer.Send(TcpFlags.Ack, P(0), S(1), options: Ts(1101, flight[0].Options.TsVal));
        Peer.TakeAll().Select(s => s.Seq).Should().Equal(S(1), S(2));
        Peer.Host.Counters.TcpSpuriousTimeouts.Should().Be(0);
    }

    [Test]
    public void A_dsack_of_the_only_retransmission_undoes_the_window_reduction()
    {
        // Segment 0 is late, not lost: 1..3 are SACKed first; fast retransmit, ssthresh = cwnd = 2 segments.
        var flight = FourSentThenOneToThreeSacked(new TcpSettings { DsackUndo = true, TailLossProbe = false, InitialWindowSegments = 4 }, 12);
        Peer.TakeAll().Select(s => s.Seq).Should().Equal(S(0), S(4));
        Conn.SlowStartThreshold.Should().Be(2 * Mss);
        // The original arrives, then the retransmission: the ACK reports it as a duplicate (D-SACK). Every
        // retransmission of the episode was needless: cwnd (4) and ssthresh come back, three segments go at once.
        Peer.Send(TcpFlags.Ack, P(0), S(4), options: Ts(1101, flight[3].Options.TsVal, (S(0), S(1))));
        Peer.Host.Counters.TcpUndos.Should().Be(1);
        Conn.SlowStartThreshold.Should().Be(int.MaxValue);
        Peer.TakeAll().Select(s => s.Seq).Should().Equal(S(5), S(6), S(7));
    }

    [Test]
    public void The_loss_probe_of_the_last_segment_carries_psh_as_its_first_transmission_and_the_rto_resend_do()
    {
        EstablishWithTimestamps();
        Stream.Write(Bytes(100));
        var first = Peer.Next();
        first.Flags.Should().Be(TcpFlags.Ack | TcpFlags.Psh);
        Peer.RunUntil(first.Time + Duration.FromMilliseconds(220));
        var probe = Peer.Next();
        probe.Seq.Should().Be(first.Seq);
        probe.Flags.Should().Be(TcpFlags.Ack | TcpFlags.Psh);
        Peer.RunUntil(probe.Time + Conn.RetransmissionTimeout);
        var rto = Peer.Next();
        rto.Seq.Should().Be(first.Seq);
        rto.Flags.Should().Be(TcpFlags.Ack | TcpFlags.Psh);
    }

    [Test]
    public void New_data_sent_while_the_rto_guards_a_single_segment_arms_the_probe_timeout()
    {
        // RTO 200 ms (Linux's minimum); with one segment in flight the PTO (2 SRTT + a 200 ms delayed ACK) is later
        // than the RTO, so the RTO guards it.
        EstablishWithTimestamps(new TcpSettings { MinRto = Duration.FromMilliseconds(200) });
        Stream.Write(Bytes(Mss));
        var first = Peer.Next();
        first.Seq.Should().Be(S(0));
        // 1 ms later a second segment goes: two in flight, PTO = 2 SRTT = 20 ms from now (RFC 8985 §7.2: the PTO
        // restarts after every transmission of new data; Linux reschedules its probe after each write).
        Peer.RunFor(Duration.FromMilliseconds(1));
        Stream.Write(Bytes(Mss));
        var second = Peer.Next();
        second.Seq.Should().Be(S(1));
        Peer.RunUntil(second.Time + Duration.FromMilliseconds(19));
        Peer.ExpectNothing();
        Peer.RunUntil(second.Time + Duration.FromMilliseconds(20));
        var probe = Peer.Next();
        probe.Seq.Should().Be(S(1), "the probe is the last segment again: no new data to send");
        probe.Time.Should().Be(second.Time + Duration.FromMilliseconds(20));
        Peer.ExpectNothing();
        Peer.Host.Counters.TcpLossProbesSent.Should().Be(1);
    }
}
