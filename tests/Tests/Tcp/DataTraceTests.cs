using System.Net.Sockets;
using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>Data transfer in the packet-trace style: delayed ACK, retransmission timing and backoff,
/// persist probes, fast retransmit, SACK recovery, all with sequence numbers crossing 2^32.</summary>
public class DataTraceTests : TraceTestBase
{
    private static uint H(int offset) => unchecked(HostIsn + 1 + (uint)offset);
    private static uint P(int offset) => unchecked(PeerIsn + 1 + (uint)offset);

    [Test]
    public void A_lone_segment_is_acknowledged_after_200ms_and_not_before()
    {
        EstablishPassive();
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(0), H(0), payload: Bytes(100));
        Peer.RunUntil(Ms(199));
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(200));
        var ack = Peer.Next();
        ack.Time.Should().Be(Ms(200));
        ack.Flags.Should().Be(TcpFlags.Ack);
        ack.Seq.Should().Be(H(0));
        ack.Ack.Should().Be(P(100), "the peer's 100 bytes starting 15 below 2^32 wrap to 84");
        ack.Window.Should().Be(65535);
        var buffer = new byte[200];
        Stream.Read(buffer).Should().Be(100);
        buffer.Take(100).Should().Equal(Bytes(100));
    }

    [Test]
    public void Every_second_full_segment_is_acknowledged_at_once()
    {
        EstablishPassive();
        Peer.Send(TcpFlags.Ack, P(0), H(0), payload: Bytes(1460));
        Peer.ExpectNothing();
        Peer.Send(TcpFlags.Ack, P(1460), H(0), payload: Bytes(1460, 1));
        var ack = Peer.Next();
        ack.Time.Should().Be(Ms(0));
        ack.Ack.Should().Be(P(2920));
        Peer.RunUntil(Ms(1000));
        Peer.ExpectNothing();
    }

    [Test]
    public void A_coalesced_segment_larger_than_our_mss_is_acknowledged_at_once_and_pairs_after_it_too()
    {
        // A tap with receive coalescing or TSO hands the stack segments of many MSS; as Linux (rcv_mss is at most
        // advmss), they count as full-sized segments, so the ordinary pairs after them are still acknowledged at once.
        EstablishPassive(Plain(new TcpSettings { ReceiveBufferSize = 1 << 20 }));
        Peer.Send(TcpFlags.Ack, P(0), H(0), payload: Bytes(10 * 1460));
        Peer.Next().Ack.Should().Be(P(14600));
        Peer.Send(TcpFlags.Ack, P(14600), H(0), payload: Bytes(1460, 1));
        Peer.ExpectNothing();
        Peer.Send(TcpFlags.Ack, P(16060), H(0), payload: Bytes(1460, 2));
        var ack = Peer.Next();
        ack.Time.Should().Be(Ms(0));
        ack.Ack.Should().Be(P(17520));
    }

    [Test]
    public void Out_of_order_data_draws_an_immediate_duplicate_ack_with_sack_then_the_hole_fills()
    {
        EstablishPassive(synOptions: ScriptedPeer.Opts(mss: 1460, sackOk: true));
        Peer.Send(TcpFlags.Ack, P(1000), H(0), payload: Bytes(500, 3));
        var dup = Peer.Next();
        dup.Ack.Should().Be(P(0));
        dup.Options.SackBlockCount.Should().Be(1);
        dup.Options.SackBlocks[0].Should().Be(new SackBlock(P(1000), P(1500)));
        Peer.Send(TcpFlags.Ack, P(2000), H(0), payload: Bytes(100, 4));
        var dup2 = Peer.Next();
        dup2.Options.SackBlockCount.Should().Be(2);
        dup2.Options.SackBlocks[0].Should().Be(new SackBlock(P(2000), P(2100)), "the most recent block first");
        dup2.Options.SackBlocks[1].Should().Be(new SackBlock(P(1000), P(1500)));
        Peer.Send(TcpFlags.Ack, P(0), H(0), payload: Bytes(1000, 5));
        var filled = Peer.Next();
        filled.Ack.Should().Be(P(1500), "the hole filled up to the first held range");
        filled.Options.SackBlockCount.Should().Be(1);
        Conn.BytesToRead.Should().Be(1500);
    }

    [Test]
    public void Data_retransmission_backs_off_1s_2s_4s_and_stops_when_acknowledged()
    {
        EstablishPassive(Plain(new TcpSettings { TailLossProbe = false })); // the timeout alone
        Stream.Write(Bytes(100));
        var first = Peer.Next();
        first.Seq.Should().Be(H(0));
        first.Flags.Should().Be(TcpFlags.Ack | TcpFlags.Psh);
        Peer.RunUntil(Ms(999));
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(7500));
        var retransmissions = Peer.TakeAll();
        retransmissions.Select(s => s.Time).Should().Equal(Ms(1000), Ms(3000), Ms(7000));
        retransmissions.Should().OnlyContain(s => s.Seq == H(0) && s.Length == 100);
        Peer.Send(TcpFlags.Ack, P(0), H(100));
        Peer.RunUntil(Ms(100_000));
        Peer.ExpectNothing();
        Peer.Host.Counters.TcpRetransmissions.Should().Be(3);
    }

    [Test]
    public void Rto_is_capped_at_60s_and_the_connection_gives_up_after_the_retry_limit()
    {
        EstablishPassive(Plain(new TcpSettings { DataRetries = 8, TailLossProbe = false }));
        var read = Stream.ReadAsync(new byte[10]).AsTask();
        Stream.Write(Bytes(10));
        Peer.Next();
        Peer.RunUntil(Ms(1_000_000));
        var times = Peer.TakeAll().Select(s => s.Time.TotalSeconds).ToList();
        times.Should().Equal(1, 3, 7, 15, 31, 63, 123, 183);
        Conn.State.Should().Be(TcpState.Closed);
        read.IsFaulted.Should().BeTrue();
        var io = read.Exception!.InnerException.Should().BeOfType<IOException>().Subject;
        io.InnerException.Should().BeOfType<SocketException>().Which.SocketErrorCode.Should().Be(SocketError.TimedOut);
    }

    [Test]
    public void Zero_window_is_probed_with_backoff_and_data_flows_when_it_opens()
    {
        EstablishPassive(peerWindow: 0);
        Stream.Write(Bytes(100));
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(999));
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(1000));
        var probe = Peer.Next();
        probe.Length.Should().Be(1);
        probe.Seq.Should().Be(H(0));
        Peer.Send(TcpFlags.Ack, P(0), H(0), window: 0);
        Peer.RunUntil(Ms(7000));
        Peer.TakeAll().Select(s => (s.Time, s.Seq, s.Length)).Should().Equal((Ms(3000), H(0), 1), (Ms(7000), H(0), 1));
        Peer.Host.Counters.TcpWindowProbesSent.Should().Be(3);
        Peer.Send(TcpFlags.Ack, P(0), H(0), window: 1000);
        var data = Peer.Next();
        data.Seq.Should().Be(H(0));
        data.Length.Should().Be(100);
        Peer.Send(TcpFlags.Ack, P(0), H(100), window: 1000);
        Peer.RunUntil(Ms(200_000));
        Peer.ExpectNothing();
    }

    /// <summary>A probe byte beyond a closed window advances SND.NXT past what the peer accepts; a reset sent from
    /// there is out of the peer's (zero) window and ignored, so a reader that never reads would stay connected for
    /// ever (issue 18, slow readers). Like Linux (tcp_acceptable_seq), the reset carries the window's right edge.</summary>
    [Test]
    public void An_abort_behind_a_zero_window_probe_resets_at_the_window_edge_the_peer_accepts()
    {
        EstablishPassive(peerWindow: 0);
        Stream.Write(Bytes(100));
        Peer.RunUntil(Ms(1000));
        var probe = Peer.Next();
        (probe.Seq, probe.Length).Should().Be((H(0), 1));
        Conn.Abort();
        var rst = Peer.Next();
        rst.Flags.Should().HaveFlag(TcpFlags.Rst);
        rst.Seq.Should().Be(H(0), "the peer's window is closed at H(0): a reset at H(1) would be dropped");
    }

    [Test]
    public void Receiver_advertises_zero_window_when_full_and_updates_it_after_the_application_reads()
    {
        EstablishPassive(Plain(new TcpSettings { ReceiveBufferSize = 4096, DelayedAck = false }));
        Peer.Send(TcpFlags.Ack, P(0), H(0), payload: Bytes(1460));
        Peer.Next().Window.Should().Be(4096 - 1460);
        Peer.Send(TcpFlags.Ack, P(1460), H(0), payload: Bytes(1460));
        Peer.Next().Window.Should().Be(4096 - 2920);
        Peer.Send(TcpFlags.Ack, P(2920), H(0), payload: Bytes(1176));
        Peer.Next().Window.Should().Be(0);
        // A probe beyond the closed window is answered with the same ACK and window.
        Peer.Send(TcpFlags.Ack, P(4096), H(0), payload: Bytes(1));
        var probeAck = Peer.Next();
        probeAck.Ack.Should().Be(P(4096));
        probeAck.Window.Should().Be(0);
        // Reading a little does not reopen the window (receiver SWS avoidance)...
        Stream.Read(new byte[100]).Should().Be(100);
        Peer.ExpectNothing();
        // ...reading half the buffer does, with an unsolicited window update.
        Stream.Read(new byte[2000]).Should().Be(2000);
        var update = Peer.Next();
        update.Ack.Should().Be(P(4096));
        update.Window.Should().Be(2100);
    }

    [Test]
    public void Three_duplicate_acks_trigger_fast_retransmit_without_sack_newreno()
    {
        EstablishPassive(Plain(new TcpSettings { InitialWindowSegments = 10 }));
        Stream.Write(Bytes(8 * 1460));
        Peer.TakeAll().Should().HaveCount(8);
        Peer.Send(TcpFlags.Ack, P(0), H(0));
        Peer.Send(TcpFlags.Ack, P(0), H(0));
        Peer.ExpectNothing();
        Peer.Send(TcpFlags.Ack, P(0), H(0));
        var fast = Peer.Next();
        fast.Seq.Should().Be(H(0));
        fast.Length.Should().Be(1460);
        Conn.InRecovery.Should().BeTrue();
        Conn.SlowStartThreshold.Should().Be(4 * 1460);
        // A partial ACK: the next hole goes at once (RFC 6582).
        Peer.Send(TcpFlags.Ack, P(0), H(2 * 1460));
        var partial = Peer.Next();
        partial.Seq.Should().Be(H(2 * 1460));
        Peer.Send(TcpFlags.Ack, P(0), H(8 * 1460));
        Conn.InRecovery.Should().BeFalse();
        Peer.RunUntil(Ms(10_000));
        Peer.ExpectNothing();
    }

    [Test]
    public void Sack_recovery_retransmits_two_holes_in_one_window_once_each()
    {
        EstablishPassive(Plain(new TcpSettings { InitialWindowSegments = 10 }),
            synOptions: ScriptedPeer.Opts(mss: 1460, sackOk: true));
        Stream.Write(Bytes(10 * 1460));
        Peer.TakeAll().Should().HaveCount(10);
        // Segments 0 and 3 are lost; the peer SACKs the rest as they arrive.
        uint S(int i) => H(i * 1460);
        foreach (var (l, r) in new[] { (1, 2), (1, 3), (4, 5), (4, 6), (4, 7), (4, 8), (4, 9), (4, 10) })
        {
            var blocks = l == 1 ? ScriptedPeer.Sack((S(1), S(r))) : ScriptedPeer.Sack((S(4), S(r)), (S(1), S(3)));
            Peer.Send(TcpFlags.Ack, P(0), H(0), options: blocks);
        }
        var sent = Peer.TakeAll();
        // The two holes, then, while the window still allowed one more segment and nothing new was left to send
        // and the last SACKs were still on their way,
        // the rescue retransmission of the highest un-SACKed segment (RFC 6675 NextSeg rule 4), once.
        sent.Select(s => s.Seq).Should().Equal(S(0), S(3), S(9));
        sent.Should().OnlyContain(s => s.Length == 1460 && s.Time == Ms(0));
        Peer.Send(TcpFlags.Ack, P(0), H(3 * 1460), options: ScriptedPeer.Sack((S(4), S(10))));
        Peer.Send(TcpFlags.Ack, P(0), H(10 * 1460));
        Conn.InRecovery.Should().BeFalse();
        Peer.RunUntil(Ms(10_000));
        Peer.ExpectNothing();
        Peer.Host.Counters.TcpRetransmissions.Should().Be(3);
    }

    [Test]
    public void Ack_of_unsent_data_is_answered_and_the_segment_dropped()
    {
        EstablishPassive();
        Peer.Send(TcpFlags.Ack, P(0), H(5000), payload: Bytes(10));
        var ack = Peer.Next();
        ack.Ack.Should().Be(P(0), "the data in the bad segment is not taken");
        ack.Seq.Should().Be(H(0));
        Conn.BytesToRead.Should().Be(0);
    }

    [Test]
    public void Segment_outside_the_window_is_answered_with_an_ack()
    {
        EstablishPassive();
        Peer.Send(TcpFlags.Ack, P(200_000), H(0), payload: Bytes(10));
        Peer.Next().Ack.Should().Be(P(0));
        Peer.Send(TcpFlags.Ack, P(-100), H(0), payload: Bytes(10));
        Peer.Next().Ack.Should().Be(P(0));
        Peer.Host.Counters.Dropped(DropReason.TcpUnacceptable).Should().Be(2);
    }

    [Test]
    public void Nagle_holds_small_segments_until_acked_and_no_delay_does_not()
    {
        EstablishPassive();
        Stream.Write(Bytes(10));
        Stream.Write(Bytes(10));
        Peer.TakeAll().Select(s => s.Length).Should().Equal(10);
        Peer.Send(TcpFlags.Ack, P(0), H(10));
        Peer.Next().Length.Should().Be(10);
        Stream.NoDelay = true;
        Stream.Write(Bytes(10));
        Stream.Write(Bytes(10));
        Peer.TakeAll().Select(s => s.Length).Should().Equal(10, 10);
    }

    [Test]
    public void Nagle_holds_a_short_segment_only_behind_an_unacknowledged_short_one()
    {
        // Minshall's refinement (Linux's too): full-sized segments in flight do not hold a short tail back...
        EstablishPassive();
        Stream.Write(Bytes(1460 + 100));
        Peer.TakeAll().Select(s => s.Length).Should().Equal(1460, 100);
        // ...but that short tail, still unacknowledged, holds the next short write, whatever is full-sized.
        Stream.Write(Bytes(1460 + 30));
        Peer.TakeAll().Select(s => s.Length).Should().Equal(1460);
        Peer.Send(TcpFlags.Ack, P(0), H(1460));
        Peer.TakeAll().Should().BeEmpty("the 100-byte segment is still unacknowledged");
        Peer.Send(TcpFlags.Ack, P(0), H(1560));
        Peer.TakeAll().Select(s => s.Length).Should().Equal(30);
    }

    [Test]
    public void Timestamps_echo_ts_recent_and_paws_drops_an_old_duplicate()
    {
        EstablishPassive(new TcpSettings { FixedInitialSequenceNumber = HostIsn },
            synOptions: ScriptedPeer.Opts(mss: 1460, tsVal: 1000));
        // The handshake's ACK carried no timestamp; data with TSval 2000 updates TS.Recent.
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(0), H(0), options: ScriptedPeer.Opts(tsVal: 2000, tsEcr: 1), payload: Bytes(10));
        Peer.RunUntil(Ms(200));
        var ack = Peer.Next();
        ack.Options.HasTimestamp.Should().BeTrue();
        ack.Options.TsEcr.Should().Be(2000);
        ack.Ack.Should().Be(P(10));
        // An old duplicate (TSval below TS.Recent) is dropped by PAWS (RFC 7323 §5) and answered with an ACK.
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(10), H(0), options: ScriptedPeer.Opts(tsVal: 1500, tsEcr: 1), payload: Bytes(10));
        var pawsAck = Peer.Next();
        pawsAck.Ack.Should().Be(P(10), "the data was not taken");
        Conn.BytesToRead.Should().Be(10);
        Peer.Host.Counters.Dropped(DropReason.TcpUnacceptable).Should().Be(1);
    }

    [Test]
    public void Icmp_unreachable_on_an_established_connection_is_soft_and_named_when_it_times_out()
    {
        EstablishPassive(Plain(new TcpSettings { DataRetries = 2 }));
        Stream.Write(Bytes(10));
        var data = Peer.Next();
        Peer.SendIcmpError(IcmpType.DestinationUnreachable, (byte)UnreachableCode.Port, data.SourcePort, data.DestinationPort,
            data.Seq, data.Ack, TcpFlags.Ack);
        Conn.State.Should().Be(TcpState.Established, "RFC 5461: hard errors do not abort a synchronized connection");
        Peer.RunUntil(Ms(60_000));
        Conn.State.Should().Be(TcpState.Closed);
        Conn.Error.Should().Be(SocketError.ConnectionRefused, "the remembered soft error explains the timeout");
    }

    [Test]
    public void Sender_avoids_silly_windows_until_the_override_timer()
    {
        EstablishPassive(Plain(new TcpSettings { TailLossProbe = false }));
        Stream.Write(Bytes(5000));
        Peer.TakeAll().Select(s => s.Length).Should().Equal(1460, 1460, 1460); // initial window: 3 segments
        Peer.RunUntil(Ms(10));
        // Everything acknowledged, but the window is now a sliver of the largest seen (65535).
        Peer.Send(TcpFlags.Ack, P(0), H(4380), window: 300);
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(1009));
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(1010));
        var forced = Peer.Next();
        forced.Seq.Should().Be(H(4380));
        forced.Length.Should().Be(300, "the persist (override) timer sends what the window allows");
    }
}
