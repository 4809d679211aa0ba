using System.Net.Sockets;
using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Tcp;

/// <summary>Every close path, resets in every synchronized state, and RFC 5961 challenge ACKs.</summary>
public class CloseTraceTests : TraceTestBase
{
    private static uint H(int offset) => unchecked(HostIsn + 1 + (uint)offset);
    private static uint P(int offset) => unchecked(PeerIsn + 1 + (uint)offset);
    private static readonly Duration TimeWait = Duration.FromSeconds(10);

    private static TcpSettings Short() => Plain(new TcpSettings { TimeWaitDuration = TimeWait });

    [Test]
    public void Active_close_fin_wait_1_and_2_then_time_wait_for_2msl()
    {
        EstablishPassive(Short());
        Stream.ShutdownSend();
        var fin = Peer.Next();
        fin.Flags.Should().Be(TcpFlags.Fin | TcpFlags.Ack);
        fin.Seq.Should().Be(H(0));
        Conn.State.Should().Be(TcpState.FinWait1);
        Peer.Send(TcpFlags.Ack, P(0), H(1));
        Conn.State.Should().Be(TcpState.FinWait2);
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(1000));
        Peer.Send(TcpFlags.Fin | TcpFlags.Ack, P(0), H(1));
        var ack = Peer.Next();
        ack.Flags.Should().Be(TcpFlags.Ack);
        ack.Ack.Should().Be(P(1));
        Conn.State.Should().Be(TcpState.TimeWait);
        // A retransmitted FIN is acknowledged again and restarts the wait.
        Peer.RunUntil(Ms(5000));
        Peer.Send(TcpFlags.Fin | TcpFlags.Ack, P(0), H(1));
        Peer.Next().Ack.Should().Be(P(1));
        Peer.RunUntil(Ms(14_999));
        Conn.State.Should().Be(TcpState.TimeWait);
        Peer.RunUntil(Ms(15_000));
        Conn.State.Should().Be(TcpState.Closed);
        Peer.Host.Tcp.Connections.Should().BeEmpty();
        Peer.ExpectNothing();
    }

    [Test]
    public void Fin_acknowledged_after_a_timeout_rewound_the_send_sequence_is_not_sent_again()
    {
        // Data in two segments, then the FIN; the first is lost, the others arrive. The timeout
        // retransmits the first only (a loss window of one segment), and the peer's ACK then covers everything,
        // FIN included: the connection is in FIN-WAIT-2 and sends no second FIN past the first.
        EstablishPassive(Plain(new TcpSettings { TimeWaitDuration = TimeWait, NoDelay = true, TailLossProbe = false }));
        Stream.Write(Bytes(2000));
        Stream.ShutdownSend();
        Peer.Next().Length.Should().Be(1460);
        Peer.Next().Length.Should().Be(540);
        var fin = Peer.Next();
        fin.Flags.Should().Be(TcpFlags.Fin | TcpFlags.Ack);
        fin.Seq.Should().Be(H(2000));
        Peer.RunUntil(Ms(999));
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(1000));
        var rtx = Peer.Next();
        rtx.Seq.Should().Be(H(0));
        rtx.Length.Should().Be(1460);
        rtx.Flags.Should().Be(TcpFlags.Ack);
        Peer.ExpectNothing();
        Peer.Send(TcpFlags.Ack, P(0), H(2001));
        Conn.State.Should().Be(TcpState.FinWait2);
        Peer.RunUntil(Ms(5000));
        Peer.ExpectNothing();
        Peer.Send(TcpFlags.Fin | TcpFlags.Ack, P(0), H(2001));
        var ack = Peer.Next();
        ack.Flags.Should().Be(TcpFlags.Ack);
        ack.Seq.Should().Be(H(2001));
        ack.Ack.Should().Be(P(1));
        Conn.State.Should().Be(TcpState.TimeWait);
    }

    [Test]
    public void Passive_close_close_wait_then_last_ack()
    {
        EstablishPassive(Short());
        var read = Stream.ReadAsync(new byte[10]).AsTask();
        Peer.Send(TcpFlags.Fin | TcpFlags.Ack, P(0), H(0));
        var ack = Peer.Next();
        ack.Ack.Should().Be(P(1), "a FIN is acknowledged at once");
        Conn.State.Should().Be(TcpState.CloseWait);
        Peer.RunFor(Duration.Zero);
        read.Result.Should().Be(0, "end of stream");
        Stream.Write(Bytes(5));
        Peer.Next().Length.Should().Be(5);
        Stream.Dispose();
        var fin = Peer.Next();
        fin.Flags.Should().Be(TcpFlags.Fin | TcpFlags.Ack);
        fin.Seq.Should().Be(H(5));
        Conn.State.Should().Be(TcpState.LastAck);
        Peer.Send(TcpFlags.Ack, P(1), H(6));
        Conn.State.Should().Be(TcpState.Closed);
        Peer.Host.Tcp.Connections.Should().BeEmpty();
    }

    [Test]
    public void Simultaneous_close_goes_through_closing()
    {
        EstablishPassive(Short());
        Stream.ShutdownSend();
        Peer.Next().Flags.Should().Be(TcpFlags.Fin | TcpFlags.Ack);
        // The peer's FIN crosses ours (it does not acknowledge our FIN).
        Peer.Send(TcpFlags.Fin | TcpFlags.Ack, P(0), H(0));
        var ack = Peer.Next();
        ack.Ack.Should().Be(P(1));
        Conn.State.Should().Be(TcpState.Closing);
        Peer.Send(TcpFlags.Ack, P(1), H(1));
        Conn.State.Should().Be(TcpState.TimeWait);
    }

    [Test]
    public void Half_closed_connection_still_receives()
    {
        EstablishPassive(Short());
        Stream.ShutdownSend();
        Peer.Next();
        Peer.Send(TcpFlags.Ack, P(0), H(1));
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(0), H(1), payload: Bytes(300));
        Conn.State.Should().Be(TcpState.FinWait2);
        var buffer = new byte[300];
        Stream.Read(buffer).Should().Be(300);
        buffer.Should().Equal(Bytes(300));
    }

    [Test]
    public void Unacknowledged_fin_is_retransmitted()
    {
        EstablishPassive(Short());
        Stream.ShutdownSend();
        Peer.Next();
        Peer.RunUntil(Ms(1000));
        var again = Peer.Next();
        again.Flags.Should().Be(TcpFlags.Fin | TcpFlags.Ack);
        again.Seq.Should().Be(H(0));
    }

    [Test]
    public void Time_wait_accepts_a_newer_syn_for_the_same_tuple()
    {
        EstablishPassive(Short());
        Stream.ShutdownSend();
        Peer.Next();
        Peer.Send(TcpFlags.Fin | TcpFlags.Ack, P(0), H(1));
        Peer.Next();
        Conn.State.Should().Be(TcpState.TimeWait);
        // An old duplicate SYN (below RCV.NXT) is not a new incarnation.
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460));
        Peer.Next().Flags.Should().Be(TcpFlags.Ack, "a challenge ACK");
        Peer.Send(TcpFlags.Syn, P(100_000), options: ScriptedPeer.Opts(mss: 1460));
        var synAck = Peer.Next();
        synAck.Flags.Should().Be(TcpFlags.Syn | TcpFlags.Ack);
        synAck.Ack.Should().Be(P(100_001));
        Peer.Host.Tcp.Connections.Single().State.Should().Be(TcpState.SynReceived);
    }

    [Test]
    public void Disposed_connection_in_fin_wait_2_is_dropped_after_the_orphan_timeout()
    {
        EstablishPassive(Short());
        Stream.Dispose();
        Peer.Next().Flags.Should().Be(TcpFlags.Fin | TcpFlags.Ack);
        Peer.Send(TcpFlags.Ack, P(0), H(1));
        Conn.State.Should().Be(TcpState.FinWait2);
        Peer.RunUntil(Ms(9_999));
        Conn.State.Should().Be(TcpState.FinWait2);
        Peer.RunUntil(Ms(10_000));
        Conn.State.Should().Be(TcpState.Closed);
        Peer.ExpectNothing();
    }

    [Test]
    public void Data_arriving_after_the_application_closed_draws_a_reset()
    {
        EstablishPassive(Short());
        Stream.Dispose();
        Peer.Next();
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(0), H(1), payload: Bytes(10));
        var rst = Peer.Next();
        rst.Flags.Should().Be(TcpFlags.Rst | TcpFlags.Ack);
        Conn.State.Should().Be(TcpState.Closed);
    }

    [Test]
    public void Closing_with_unread_data_resets()
    {
        EstablishPassive(Short());
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(0), H(0), payload: Bytes(10));
        Stream.Dispose();
        var rst = Peer.Next();
        rst.Flags.Should().Be(TcpFlags.Rst);
        rst.Seq.Should().Be(H(0));
        Peer.Host.Tcp.Connections.Should().BeEmpty();
    }

    public enum Step { SynReceived, Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait }

    /// <summary>Drives the host into <paramref name="step"/>; returns the peer's RCV.NXT-matching sequence.</summary>
    private uint Reach(Step step)
    {
        if (step == Step.SynReceived)
        {
            Peer = new ScriptedPeer(Short());
            Peer.Host.ListenTcp(80);
            Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460));
            Peer.Next();
            return P(0);
        }
        EstablishPassive(Short());
        switch (step)
        {
            case Step.FinWait1:
                Stream.ShutdownSend();
                break;
            case Step.FinWait2:
                Stream.ShutdownSend();
                Peer.Send(TcpFlags.Ack, P(0), H(1));
                break;
            case Step.CloseWait:
                Peer.Send(TcpFlags.Fin | TcpFlags.Ack, P(0), H(0));
                return P(1);
            case Step.Closing:
                Stream.ShutdownSend();
                Peer.Send(TcpFlags.Fin | TcpFlags.Ack, P(0), H(0));
                return P(1);
            case Step.LastAck:
                Peer.Send(TcpFlags.Fin | TcpFlags.Ack, P(0), H(0));
                Stream.ShutdownSend();
                return P(1);
            case Step.TimeWait:
                Stream.ShutdownSend();
                Peer.Send(TcpFlags.Fin | TcpFlags.Ack, P(0), H(1));
                return P(1);
        }
        return P(0);
    }

    [TestCase(Step.SynReceived, TcpState.SynReceived)]
    [TestCase(Step.Established, TcpState.Established)]
    [TestCase(Step.FinWait1, TcpState.FinWait1)]
    [TestCase(Step.FinWait2, TcpState.FinWait2)]
    [TestCase(Step.CloseWait, TcpState.CloseWait)]
    [TestCase(Step.Closing, TcpState.Closing)]
    [TestCase(Step.LastAck, TcpState.LastAck)]
    [TestCase(Step.TimeWait, TcpState.TimeWait)]
    public void Rst_in_each_synchronized_state_challenges_in_window_and_closes_on_exact_match(Step step, TcpState expected)
    {
        uint rcvNxt = Reach(step);
        var conn = Peer.Host.Tcp.Connections.Single();
        conn.State.Should().Be(expected);
        Peer.TakeAll();
        // In the window but not exactly RCV.NXT: challenge ACK (RFC 5961 §3.2), connection survives.
        Peer.Send(TcpFlags.Rst, unchecked(rcvNxt + 1000));
        var challenge = Peer.Next();
        challenge.Flags.Should().Be(TcpFlags.Ack);
        challenge.Ack.Should().Be(rcvNxt);
        conn.State.Should().Be(expected);
        // Outside the window: silently dropped.
        Peer.Send(TcpFlags.Rst, unchecked(rcvNxt + 10_000_000));
        Peer.ExpectNothing();
        // Exactly RCV.NXT: the connection is reset, and nothing answers the RST.
        Peer.Send(TcpFlags.Rst, rcvNxt);
        conn.State.Should().Be(TcpState.Closed);
        Peer.Host.Tcp.Connections.Should().BeEmpty();
        Peer.ExpectNothing();
        if (step is Step.Established or Step.FinWait1 or Step.FinWait2 or Step.CloseWait)
            conn.Error.Should().Be(SocketError.ConnectionReset);
    }

    [Test]
    public void Reset_fails_a_pending_read_with_connection_reset()
    {
        EstablishPassive(Short());
        var read = Stream.ReadAsync(new byte[10]).AsTask();
        Peer.Send(TcpFlags.Rst, P(0));
        Peer.RunFor(Duration.Zero);
        var io = read.Exception!.InnerException.Should().BeOfType<IOException>().Subject;
        io.Message.Should().Contain("reset");
        io.InnerException.Should().BeOfType<SocketException>().Which.SocketErrorCode.Should().Be(SocketError.ConnectionReset);
        Stream.Invoking(s => s.Write(Bytes(1))).Should().Throw<SocketException>();
    }

    [Test]
    public void In_window_syn_draws_a_challenge_ack_and_the_connection_survives()
    {
        EstablishPassive(Short());
        Peer.Send(TcpFlags.Syn, P(10), options: ScriptedPeer.Opts(mss: 1460));
        var challenge = Peer.Next();
        challenge.Flags.Should().Be(TcpFlags.Ack);
        challenge.Seq.Should().Be(H(0));
        challenge.Ack.Should().Be(P(0));
        Conn.State.Should().Be(TcpState.Established);
        Peer.Host.Counters.TcpChallengeAcksSent.Should().Be(1);
    }

    [Test]
    public void Challenge_acks_are_rate_limited_per_second()
    {
        EstablishPassive(Plain(new TcpSettings { ChallengeAckLimitPerSecond = 2 }));
        for (int i = 0; i < 5; i++) Peer.Send(TcpFlags.Rst, P(100 + i));
        Peer.TakeAll().Should().HaveCount(2);
        Peer.Host.Counters.Dropped(DropReason.TcpChallengeAckRateLimited).Should().Be(3);
        Peer.RunUntil(Ms(1000));
        Peer.Send(TcpFlags.Rst, P(100));
        Peer.TakeAll().Should().HaveCount(1, "a new second brings a new budget");
    }

    [Test]
    public void Ack_far_below_snd_una_is_challenged_and_dropped()
    {
        EstablishPassive(Short(), peerWindow: 1000);
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(0), unchecked(H(0) - 100_000), payload: Bytes(10));
        Peer.Next().Ack.Should().Be(P(0));
        Conn.BytesToRead.Should().Be(0);
    }

    [Test]
    public void Keepalive_probes_an_idle_connection_and_gives_up()
    {
        EstablishPassive(Plain(new TcpSettings
        {
            Keepalive = true, KeepaliveIdle = Duration.FromSeconds(10), KeepaliveInterval = Duration.FromSeconds(2),
            KeepaliveProbes = 3,
        }));
        Peer.RunUntil(Ms(9_999));
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(10_000));
        var probe = Peer.Next();
        probe.Seq.Should().Be(H(-1));
        probe.Length.Should().Be(0);
        // The peer answers: the idle period starts again.
        Peer.Send(TcpFlags.Ack, P(0), H(0));
        Peer.RunUntil(Ms(19_999));
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(30_000));
        Peer.TakeAll().Select(s => s.Time.TotalSeconds).Should().Equal(20, 22, 24);
        Conn.State.Should().Be(TcpState.Closed);
        Conn.Error.Should().Be(SocketError.TimedOut);
    }
}
