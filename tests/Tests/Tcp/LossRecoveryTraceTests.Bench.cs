using FluentAssertions;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>Loss-recovery behaviour found in the 20%-loss benchmark against the kernel (issue 11,
/// tools/tcp-loss-bench): each trace fails without its fix.</summary>
public partial class LossRecoveryTraceTests
{
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

    [Test]
    public void Rack_retransmits_before_limited_transmit_and_the_recovery_point_excludes_data_sent_on_that_ack()
    {
        EstablishWithTimestamps(new TcpSettings { Rack = true, TailLossProbe = false, InitialWindowSegments = 4 }, sack: true);
        Stream.Write(Bytes(8 * Mss));
        var flight = Peer.TakeAll();
        flight.Should().HaveCount(4);
        Peer.RunFor(Duration.FromMilliseconds(10));
        // Segment 0 lost; one ACK SACKs 1..3: RACK deems 0 lost at once (DupThresh SACKed, no reordering window).
        // The retransmission goes first; only then new data as the window allows (cwnd = ssthresh = 2 segments,
        // pipe 1): RFC 6675 §5 sets RecoveryPoint to HighData when the ACK arrived, S(4).
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: Ts(1100, flight[3].Options.TsVal, (S(1), S(4))));
        Peer.TakeAll().Select(s => s.Seq).Should().Equal(S(0), S(4));
        Conn.InRecovery.Should().BeTrue();
        // The retransmission is acknowledged with 1..3: SND.UNA reaches the recovery point, recovery ends (with
        // limited transmit first, S(4) would sit inside recovery and a loss of it would keep the tail loss probe off).
        Peer.RunFor(Duration.FromMilliseconds(10));
        Peer.Send(TcpFlags.Ack, P(0), S(4), options: Ts(1101, flight[3].Options.TsVal));
        Conn.InRecovery.Should().BeFalse();
    }
}
