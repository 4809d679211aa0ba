using System.Net.Sockets;
using FluentAssertions;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>RFC conformance points an independent packetdrill suite found the stack deviating from
/// (issue 11): each test is the trace that showed the deviation.</summary>
public class ConformanceTraceTests : TraceTestBase
{
    private static uint H(int offset) => unchecked(HostIsn + 1 + (uint)offset);
    private static uint P(int offset) => unchecked(PeerIsn + 1 + (uint)offset);

    [Test]
    public void Icmp_port_unreachable_quoting_snd_nxt_in_syn_sent_is_ignored()
    {
        Peer = new ScriptedPeer(Plain());
        var connect = Peer.Host.ConnectTcpAsync(ScriptedPeer.PeerIp, 5000);
        var syn = Peer.Next();
        // RFC 5927 §4.1: SND.UNA <= SEQ < SND.NXT. ISS+1 is SND.NXT: no segment of ours ever carried it.
        Peer.SendIcmpError(IcmpType.DestinationUnreachable, (byte)UnreachableCode.Port, syn.SourcePort, 5000,
            unchecked(syn.Seq + 1), 0, TcpFlags.Syn);
        Peer.RunFor(Duration.Zero);
        connect.IsCompleted.Should().BeFalse();
        Peer.Host.Tcp.Connections.Single().State.Should().Be(TcpState.SynSent);
        // The SYN-ACK still completes the handshake.
        Peer.Send(TcpFlags.Syn | TcpFlags.Ack, PeerIsn, HostIsn + 1, options: ScriptedPeer.Opts(mss: 1460),
            sourcePort: 5000, destinationPort: syn.SourcePort);
        Peer.RunFor(Duration.Zero);
        connect.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Test]
    public void Icmp_error_quoting_snd_nxt_on_an_established_connection_leaves_no_soft_error()
    {
        EstablishPassive(Plain(new TcpSettings { DataRetries = 2 }));
        Stream.Write(Bytes(10));
        var data = Peer.Next();
        Peer.SendIcmpError(IcmpType.DestinationUnreachable, (byte)UnreachableCode.Host, data.SourcePort, data.DestinationPort,
            H(10), data.Ack, TcpFlags.Ack);
        Peer.RunUntil(Ms(60_000));
        Conn.State.Should().Be(TcpState.Closed);
        Conn.Error.Should().Be(SocketError.TimedOut, "the ICMP error was about no segment in flight");
    }

    [Test]
    public void Reading_while_the_window_is_at_its_unscaled_cap_sends_no_window_update()
    {
        // No window scaling: the field caps the window at 65535 although the buffer is 256 KiB.
        EstablishPassive(Plain(new TcpSettings { DelayedAck = false }));
        Peer.Send(TcpFlags.Ack, P(0), H(0), payload: Bytes(1460));
        Peer.Next().Window.Should().Be(65535);
        Peer.Send(TcpFlags.Ack, P(1460), H(0), payload: Bytes(1460));
        Peer.Next().Window.Should().Be(65535);
        Stream.Read(new byte[4000]).Should().Be(2920);
        Peer.ExpectNothing(); // the window would still read 65535: an ACK now is a duplicate ACK to the sender
        Peer.RunUntil(Ms(5000));
        Peer.ExpectNothing();
    }

    [Test]
    public void Reading_that_moves_a_capped_window_by_enough_still_sends_an_update()
    {
        // A small buffer below the cap keeps the SWS rule: reading half of it reopens the window.
        EstablishPassive(Plain(new TcpSettings { DelayedAck = false, ReceiveBufferSize = 8192 }));
        Peer.Send(TcpFlags.Ack, P(0), H(0), payload: Bytes(1460));
        Peer.Next().Window.Should().Be(8192 - 1460);
        Peer.Send(TcpFlags.Ack, P(1460), H(0), payload: Bytes(1460));
        Peer.Next().Window.Should().Be(8192 - 2920);
        Stream.Read(new byte[4000]).Should().Be(2920);
        Peer.Next().Window.Should().Be(8192);
    }

    [Test]
    public void Limited_transmit_sends_new_data_on_the_first_and_second_duplicate_ack()
    {
        EstablishPassive(Plain(new TcpSettings { InitialWindowSegments = 4 }));
        Stream.Write(Bytes(10 * 1460));
        Peer.TakeAll().Select(s => s.Seq).Should().Equal(H(0), H(1460), H(2920), H(4380));
        // Segment 0 lost; 1 arrives: first duplicate ACK. RFC 3042: one new segment, cwnd unchanged.
        Peer.Send(TcpFlags.Ack, P(0), H(0));
        var first = Peer.Next();
        first.Seq.Should().Be(H(4 * 1460));
        first.Length.Should().Be(1460);
        Peer.ExpectNothing();
        Peer.Send(TcpFlags.Ack, P(0), H(0));
        var second = Peer.Next();
        second.Seq.Should().Be(H(5 * 1460));
        Peer.ExpectNothing();
        Conn.CongestionWindow.Should().Be(4 * 1460, "limited transmit does not grow the window");
        // The third duplicate ACK: fast retransmit, nothing new beyond it.
        Peer.Send(TcpFlags.Ack, P(0), H(0));
        var fast = Peer.Next();
        fast.Seq.Should().Be(H(0));
        Conn.InRecovery.Should().BeTrue();
        Conn.SlowStartThreshold.Should().Be(3 * 1460, "ssthresh is half of the flight, the limited-transmit segments included");
    }

    [Test]
    public void Limited_transmit_works_with_sack()
    {
        EstablishPassive(Plain(new TcpSettings { InitialWindowSegments = 4 }), synOptions: ScriptedPeer.Opts(mss: 1460, sackOk: true));
        Stream.Write(Bytes(10 * 1460));
        Peer.TakeAll().Should().HaveCount(4);
        uint S(int i) => H(i * 1460);
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: ScriptedPeer.Sack((S(1), S(2))));
        Peer.Next().Seq.Should().Be(S(4));
        Peer.ExpectNothing();
        Peer.Send(TcpFlags.Ack, P(0), H(0), options: ScriptedPeer.Sack((S(1), S(3))));
        Peer.Next().Seq.Should().Be(S(5));
        Peer.ExpectNothing();
    }

    [Test]
    public void Limited_transmit_respects_the_receive_window()
    {
        EstablishPassive(Plain(new TcpSettings { InitialWindowSegments = 4 }), peerWindow: 4 * 1460);
        Stream.Write(Bytes(10 * 1460));
        Peer.TakeAll().Should().HaveCount(4);
        Peer.Send(TcpFlags.Ack, P(0), H(0), window: 4 * 1460);
        Peer.ExpectNothing();
    }

    [Test]
    public void Syn_retransmission_gives_up_no_earlier_than_three_minutes_by_default()
    {
        Peer = new ScriptedPeer(Plain());
        var connect = Peer.Host.ConnectTcpAsync(ScriptedPeer.PeerIp, 5000);
        // RFC 9293 §3.8.3 MUST-23: retransmit a SYN for at least 3 minutes.
        Peer.RunUntil(Instant.FromSeconds(180));
        connect.IsCompleted.Should().BeFalse();
        var syns = Peer.TakeAll();
        syns.Should().OnlyContain(s => s.Flags == TcpFlags.Syn && s.Seq == HostIsn);
        syns.Select(s => s.Time.ToString()).Should().Equal(
            new[] { 0, 1, 3, 7, 15, 31, 63, 123 }.Select(t => Instant.FromSeconds(t).ToString()));
        Peer.RunUntil(Instant.FromSeconds(183));
        connect.IsFaulted.Should().BeTrue();
        connect.Exception!.InnerException.Should().BeOfType<SocketException>()
            .Which.SocketErrorCode.Should().Be(SocketError.TimedOut);
        new TcpSettings().SynRetries.Should().Be(7);
    }

    [Test]
    public void Icmp_fragmentation_needed_lowers_the_mss_and_resends_what_is_in_flight_at_the_new_size()
    {
        EstablishPassive(Plain(new TcpSettings { InitialWindowSegments = 10 }));
        Stream.Write(Bytes(3 * 1460));
        var flight = Peer.TakeAll();
        flight.Select(s => s.Length).Should().Equal(1460, 1460, 1460);
        // A router with a 1000-byte MTU on the way drops the first and says so (RFC 1191, RFC 792 code 4).
        Peer.SendIcmpError(IcmpType.DestinationUnreachable, (byte)UnreachableCode.FragmentationNeeded, flight[0].SourcePort,
            flight[0].DestinationPort, flight[0].Seq, flight[0].Ack, TcpFlags.Ack, nextHopMtu: 1000);
        var again = Peer.TakeAll();
        again.Select(s => s.Seq).Should().Equal(H(0), H(960), H(1920), H(2880), H(3840));
        again.Select(s => s.Length).Should().Equal(960, 960, 960, 960, 540);
        Conn.EffectiveMss.Should().Be(960);
        Conn.State.Should().Be(TcpState.Established);
        Peer.Host.Counters.TcpPathMtuReductions.Should().Be(1);
    }

    [Test]
    public void Icmp_fragmentation_needed_outside_the_flight_or_below_the_floor_is_bounded()
    {
        EstablishPassive(Plain(new TcpSettings { InitialWindowSegments = 10 }));
        Stream.Write(Bytes(1460));
        var data = Peer.Next();
        // Quoting SND.NXT: about no segment we sent (RFC 5927 §4.1): ignored.
        Peer.SendIcmpError(IcmpType.DestinationUnreachable, (byte)UnreachableCode.FragmentationNeeded, data.SourcePort,
            data.DestinationPort, H(1460), data.Ack, TcpFlags.Ack, nextHopMtu: 1000);
        Peer.ExpectNothing();
        Conn.EffectiveMss.Should().Be(1460);
        // A forged tiny MTU is floored at 552 (512 bytes of payload), like Linux's min_pmtu.
        Peer.SendIcmpError(IcmpType.DestinationUnreachable, (byte)UnreachableCode.FragmentationNeeded, data.SourcePort,
            data.DestinationPort, data.Seq, data.Ack, TcpFlags.Ack, nextHopMtu: 100);
        Conn.EffectiveMss.Should().Be(512);
        Peer.TakeAll().Select(s => s.Length).Should().Equal(512, 512, 436);
        // No MTU given (a pre-RFC 1191 router): the next plateau below what we send; 508 is below the floor.
        Peer.SendIcmpError(IcmpType.DestinationUnreachable, (byte)UnreachableCode.FragmentationNeeded, data.SourcePort,
            data.DestinationPort, data.Seq, data.Ack, TcpFlags.Ack);
        Conn.EffectiveMss.Should().Be(512);
    }
}
