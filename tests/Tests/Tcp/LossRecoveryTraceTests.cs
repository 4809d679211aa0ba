using FluentAssertions;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>Loss recovery beyond the basics (issue 11): how the retransmission timer recovers from backoff, in
/// the packet-trace style.</summary>
public partial class LossRecoveryTraceTests : TraceTestBase
{
    private static uint H(int offset) => unchecked(HostIsn + 1 + (uint)offset);
    private static uint P(int offset) => unchecked(PeerIsn + 1 + (uint)offset);
    private const int Mss = 1460 - 12; // timestamps on

    /// <summary>Passive open with timestamps (and SACK if asked) whose handshake ACK comes 10 ms after the SYN-ACK:
    /// the connection starts with SRTT 10 ms, RTO 1 s (the minimum).</summary>
    private void EstablishWithTimestamps(TcpSettings? settings = null, bool sack = false)
    {
        Peer = new ScriptedPeer((settings ?? new TcpSettings()) with { FixedInitialSequenceNumber = HostIsn });
        var listener = Peer.Host.ListenTcp(ScriptedPeer.HostPort);
        var accept = listener.AcceptAsync();
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460, sackOk: sack, tsVal: 1000));
        var synAck = Peer.Next();
        Peer.RunFor(Duration.FromMilliseconds(10));
        Peer.Send(TcpFlags.Ack, PeerIsn + 1, synAck.Seq + 1, options: ScriptedPeer.Opts(tsVal: 1010, tsEcr: synAck.Options.TsVal));
        Peer.RunFor(Duration.Zero);
        Stream = accept.Result;
        Conn.SmoothedRtt.Should().Be(Duration.FromMilliseconds(10));
    }

    private static TcpHeaderOptions Ts(uint tsVal, uint tsEcr, params (uint Left, uint Right)[] sack)
    {
        var o = ScriptedPeer.Sack(sack);
        o.HasTimestamp = true;
        o.TsVal = tsVal;
        o.TsEcr = tsEcr;
        return o;
    }

    [Test]
    public void An_ack_of_new_data_after_backoff_restarts_the_timer_unbacked_off_and_a_stale_echo_is_no_sample()
    {
        EstablishWithTimestamps(new TcpSettings { TailLossProbe = false });
        Stream.Write(Bytes(3 * Mss));
        var first = Peer.TakeAll();
        first.Should().HaveCount(3);
        // The peer receives all three but its ACKs are lost: the host retransmits the first 1 s, 3 s, 7 s later.
        Peer.RunUntil(Ms(7010));
        Peer.TakeAll().Select(s => s.Time).Should().Equal(Ms(1010), Ms(3010), Ms(7010));
        Conn.RetransmissionTimeout.Should().Be(Duration.FromSeconds(8));
        // The retransmission is a duplicate to the peer: its ACK echoes TS.Recent, the TSval of the original
        // (RFC 7323 §4.3). That echo predates the retransmissions: 7 s is the ACKs' loss, not a round trip.
        Peer.RunUntil(Ms(7020));
        var srttBefore = Conn.SmoothedRtt;
        Peer.Send(TcpFlags.Ack, P(0), H(3 * Mss), options: ScriptedPeer.Opts(tsVal: 2000, tsEcr: first[0].Options.TsVal));
        Conn.SmoothedRtt.Should().Be(srttBefore, "no round-trip sample was taken");
        Conn.RetransmissionTimeout.Should().Be(Duration.FromSeconds(1), "the ACK of new data collapses the backoff");
        // New data is timed with the collapsed RTO: a lost segment goes again 1 s later, not 8 s or more.
        Stream.Write(Bytes(100));
        Peer.Next().Seq.Should().Be(H(3 * Mss));
        Peer.RunUntil(Ms(8019));
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(8020));
        var again = Peer.Next();
        again.Seq.Should().Be(H(3 * Mss));
        again.Length.Should().Be(100);
    }

    [Test]
    public void A_fresh_echo_after_backoff_is_sampled_and_sets_the_timer()
    {
        EstablishWithTimestamps(new TcpSettings { TailLossProbe = false });
        Stream.Write(Bytes(Mss));
        Peer.Next();
        Peer.RunUntil(Ms(3010));
        var rtx = Peer.TakeAll();
        rtx.Should().HaveCount(2);
        // The second retransmission arrives and is acknowledged 40 ms later, echoing its own TSval.
        Peer.RunUntil(Ms(3050));
        var srttBefore = Conn.SmoothedRtt; // the handshake's sample
        Peer.Send(TcpFlags.Ack, P(0), H(Mss), options: ScriptedPeer.Opts(tsVal: 2000, tsEcr: rtx[1].Options.TsVal));
        Conn.SmoothedRtt.Should().Be(srttBefore * 7 / 8 + Duration.FromMilliseconds(40) / 8,
            "RFC 7323 §4: the echo times the retransmission");
        Conn.RetransmissionTimeout.Should().Be(Duration.FromSeconds(1));
    }

    [Test]
    public void A_lost_tail_is_probed_after_two_rtts_with_the_last_segment_and_recovered_without_a_timeout()
    {
        EstablishWithTimestamps();
        var start = Peer.Loop.Now;
        Stream.Write(Bytes(3 * Mss));
        var flight = Peer.TakeAll();
        flight.Should().HaveCount(3);
        // The last segment is lost; the first two are acknowledged 10 ms later.
        Peer.RunFor(Duration.FromMilliseconds(10));
        Peer.Send(TcpFlags.Ack, P(0), H(2 * Mss), options: Ts(1100, flight[1].Options.TsVal));
        Peer.ExpectNothing();
        // One segment in flight: PTO = 2 SRTT + the worst-case delayed ACK (RFC 8985 §7.2), from that ACK.
        var pto = Conn.SmoothedRtt * 2 + Duration.FromMilliseconds(200);
        var ackAt = Peer.Loop.Now;
        Peer.RunUntil(ackAt + pto - Duration.FromMilliseconds(1));
        Peer.ExpectNothing();
        Peer.RunUntil(ackAt + pto);
        var tlp = Peer.Next();
        tlp.Seq.Should().Be(H(2 * Mss), "no new data: the probe is the last segment again");
        tlp.Length.Should().Be(Mss);
        Peer.Host.Counters.TcpLossProbesSent.Should().Be(1);
        Peer.RunFor(Duration.FromMilliseconds(10));
        Peer.Send(TcpFlags.Ack, P(0), H(3 * Mss), options: Ts(1300, tlp.Options.TsVal));
        (Peer.Loop.Now - start).Should().BeLessThan(Duration.FromMilliseconds(300), "the tail cost a probe, not a 1 s timeout");
        Peer.RunFor(Duration.FromSeconds(5));
        Peer.ExpectNothing();
        Peer.Host.Counters.TcpLossProbesSent.Should().Be(1);
    }

    [Test]
    public void A_probe_of_new_data_sacked_above_a_hole_starts_recovery_at_once()
    {
        EstablishWithTimestamps(sack: true);
        // Two segments sent, the first lost, the second arrives: one duplicate ACK with SACK, not three.
        Stream.Write(Bytes(2 * Mss));
        var flight = Peer.TakeAll();
        flight.Should().HaveCount(2);
        uint S(int i) => H(i * Mss);
        Peer.RunFor(Duration.FromMilliseconds(10));
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: Ts(1100, 0 + flight[0].Options.TsVal - 10, (S(1), S(2))));
        Peer.ExpectNothing(); // limited transmit: no new data to send
        // The application writes one more segment: cwnd allows it at once; the PTO restarts from it.
        Stream.Write(Bytes(Mss));
        var third = Peer.Next();
        third.Seq.Should().Be(S(2));
        var pto = Conn.SmoothedRtt * 2;
        var sentAt = Peer.Loop.Now;
        Peer.RunUntil(sentAt + pto - Duration.FromMilliseconds(1));
        Peer.ExpectNothing();
        Peer.RunUntil(sentAt + pto);
        var probe = Peer.Next();
        probe.Seq.Should().Be(S(2), "nothing new: the last segment goes again as the probe");
        // Its SACK arrives: the hole at SND.UNA was sent two RTTs before a segment that arrived, so it is lost
        // (RACK, RFC 8985 §6.2) and goes again at once, without waiting for three duplicate ACKs or the RTO.
        Peer.RunFor(Duration.FromMilliseconds(10));
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: Ts(1200, probe.Options.TsVal, (S(1), S(3))));
        var rtx = Peer.Next();
        rtx.Seq.Should().Be(S(0));
        Conn.InRecovery.Should().BeTrue();
        Peer.Host.Counters.TcpLossProbesSent.Should().Be(1);
    }

    [Test]
    public void A_duplicate_segment_is_reported_in_a_dsack_block_once()
    {
        EstablishPassive(synOptions: ScriptedPeer.Opts(mss: 1460, sackOk: true));
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(0), H(0), payload: Bytes(100));
        Peer.RunUntil(Ms(200));
        Peer.Next().Ack.Should().Be(P(100));
        // The peer's retransmission was spurious: RFC 2883, the ACK's first SACK block is the duplicate.
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(0), H(0), payload: Bytes(100));
        var dsack = Peer.Next();
        dsack.Ack.Should().Be(P(100));
        dsack.Options.SackBlockCount.Should().Be(1);
        dsack.Options.SackBlocks[0].Should().Be(new SackBlock(P(0), P(100)));
        // A partly duplicate segment: only the old part is reported; the next ACK carries no D-SACK.
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(50), H(0), payload: Bytes(100));
        Peer.RunUntil(Ms(1000));
        var partial = Peer.TakeAll();
        partial.Should().ContainSingle("the new half is acknowledged with the report of the old half");
        partial[0].Ack.Should().Be(P(150));
        partial[0].Options.SackBlocks[0].Should().Be(new SackBlock(P(50), P(100)));
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(150), H(0), payload: Bytes(10));
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(160), H(0), payload: Bytes(10));
        Peer.RunUntil(Ms(2000));
        var later = Peer.TakeAll();
        later.Should().NotBeEmpty();
        later.Should().OnlyContain(s => s.Options.SackBlockCount == 0);
    }

    [Test]
    public void Sack_recovery_sends_a_rescue_retransmission_of_a_lost_tail_once()
    {
        EstablishPassive(Plain(new TcpSettings { InitialWindowSegments = 10, TailLossProbe = false }),
            synOptions: ScriptedPeer.Opts(mss: 1460, sackOk: true));
        Stream.Write(Bytes(6 * 1460));
        Peer.TakeAll().Should().HaveCount(6);
        uint S(int i) => H(i * 1460);
        // Segments 0 and 5 are lost; 1..4 arrive and are SACKed. Nothing new is left to send.
        for (int r = 2; r <= 5; r++) Peer.Send(TcpFlags.Ack, P(0), H(0), options: ScriptedPeer.Sack((S(1), S(r))));
        var sent = Peer.TakeAll();
        // The first hole, then the rescue (RFC 6675 NextSeg rule 4): the highest un-SACKed segment, the tail.
        sent.Select(s => s.Seq).Should().Equal(S(0), S(5));
        Conn.InRecovery.Should().BeTrue();
        // Only once per recovery: a further duplicate ACK sends nothing more.
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: ScriptedPeer.Sack((S(1), S(5))));
        Peer.ExpectNothing();
        Peer.Send(TcpFlags.Ack, P(0), H(6 * 1460));
        Conn.InRecovery.Should().BeFalse();
        Peer.RunUntil(Ms(10_000));
        Peer.ExpectNothing();
    }

    /// <summary>A retransmission resends what was sent, never more: bytes the application queued after the segment
    /// first left are new data, and sent as part of a "retransmission" they would not move SND.MAX, so the peer's
    /// ACK of them would look like an ACK of data never sent and be refused, every time, until the connection died
    /// (seen on a tap: a rescue retransmission of a 328-byte tail went out with 1,448 bytes, then the kernel's ACK of
    /// them was refused through RTOs backing off to 25.6 s, until the server's 60 s idle guard reset the
    /// connection).</summary>
    [Test]
    public void A_rescue_retransmission_of_a_short_tail_resends_only_the_bytes_sent_not_data_queued_since()
    {
        const int tail = 460, sent = 5 * 1460 + tail;
        // The peer's window ends where the flight will end: what the application queues next may not go yet.
        EstablishPassive(Plain(new TcpSettings { InitialWindowSegments = 10, TailLossProbe = false }), peerWindow: sent,
            synOptions: ScriptedPeer.Opts(mss: 1460, sackOk: true));
        Stream.Write(Bytes(sent));
        Peer.TakeAll().Select(s => s.Length).Should().Equal(1460, 1460, 1460, 1460, 1460, tail);
        Stream.Write(Bytes(3000, seed: 1));
        Peer.ExpectNothing();
        uint S(int i) => H(i * 1460);
        ushort window = (ushort)sent;
        for (int r = 2; r <= 5; r++) Peer.Send(TcpFlags.Ack, P(0), H(0), window, ScriptedPeer.Sack((S(1), S(r))));
        var resent = Peer.TakeAll();
        resent.Select(s => (s.Seq, s.Length)).Should().Equal((S(0), 1460), (S(5), tail));
        // The peer acknowledges all it got: the flight, nothing beyond. The connection takes it and, with the
        // window open again, sends the queued bytes as new data.
        Peer.Send(TcpFlags.Ack, P(0), H(sent), 65535);
        Conn.InRecovery.Should().BeFalse();
        var queued = new List<SentSegment>(Peer.TakeAll());
        queued.Should().NotBeEmpty();
        queued[0].Seq.Should().Be(H(sent));
        // Acknowledged as it comes (the window after recovery may not take it all at once), it arrives whole.
        for (int round = 0; round < 5 && queued.Sum(q => q.Length) < 3000; round++)
        {
            Peer.Send(TcpFlags.Ack, P(0), H(sent + queued.Sum(q => q.Length)), 65535);
            queued.AddRange(Peer.TakeAll());
        }
        queued.SelectMany(q => q.Payload).Should().Equal(Bytes(3000, seed: 1));
    }
}
