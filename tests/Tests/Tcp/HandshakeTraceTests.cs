using System.Net.Sockets;
using FluentAssertions;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>Opening: passive, active, simultaneous; option negotiation; SYN retransmission timing;
/// resets from closed ports and LISTEN (RFC 9293 §3.5, §3.10.7.1-3).</summary>
public class HandshakeTraceTests : TraceTestBase
{
    [Test]
    public void Passive_open_answers_a_full_option_syn_with_matching_options()
    {
        Peer = new ScriptedPeer(new TcpSettings { FixedInitialSequenceNumber = HostIsn });
        Peer.Host.ListenTcp(80);
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1400, ws: 7, sackOk: true, tsVal: 1000));
        var synAck = Peer.Next();
        synAck.Flags.Should().Be(TcpFlags.Syn | TcpFlags.Ack);
        synAck.Seq.Should().Be(HostIsn);
        synAck.Ack.Should().Be(PeerIsn + 1);
        synAck.Window.Should().Be(65535, "a SYN's window is never scaled and the buffer is 256 KiB");
        synAck.Options.Mss.Should().Be(1460);
        synAck.Options.WindowScale.Should().Be(3, "256 KiB needs a shift of 3 to fit 16 bits");
        synAck.Options.SackPermitted.Should().BeTrue();
        synAck.Options.HasTimestamp.Should().BeTrue();
        synAck.Options.TsEcr.Should().Be(1000);
        Peer.ExpectNothing();

        Peer.Send(TcpFlags.Ack, PeerIsn + 1, HostIsn + 1, 100, ScriptedPeer.Opts(tsVal: 1001, tsEcr: synAck.Options.TsVal));
        var conn = Peer.Host.Tcp.Connections.Single();
        conn.State.Should().Be(TcpState.Established);
        conn.SendWindow.Should().Be(100 << 7, "after the handshake the peer's window is scaled by its shift");
        conn.EffectiveMss.Should().Be(1400 - 12, "the peer's MSS less the timestamp option");
        conn.SackEnabled.Should().BeTrue();
        conn.TimestampsEnabled.Should().BeTrue();
    }

    [Test]
    public void Passive_open_against_a_peer_sending_no_options_uses_none()
    {
        Peer = new ScriptedPeer(new TcpSettings { FixedInitialSequenceNumber = HostIsn });
        var listener = Peer.Host.ListenTcp(80);
        var accept = listener.AcceptAsync();
        Peer.Send(TcpFlags.Syn, PeerIsn, options: TcpHeaderOptions.None);
        var synAck = Peer.Next();
        synAck.Options.Mss.Should().Be(1460);
        synAck.Options.WindowScale.Should().Be(-1, "window scaling needs both sides' SYNs");
        synAck.Options.SackPermitted.Should().BeFalse();
        synAck.Options.HasTimestamp.Should().BeFalse();
        Peer.Send(TcpFlags.Ack, PeerIsn + 1, HostIsn + 1, 65535);
        Peer.RunFor(Duration.Zero);
        var stream = accept.Result;
        stream.Connection.EffectiveMss.Should().Be(536, "RFC 9293 default MSS when the peer sends none");
        stream.Connection.WindowScalingEnabled.Should().BeFalse();

        stream.Write(Bytes(1000));
        var first = Peer.Next();
        first.Length.Should().Be(536);
        first.Options.HasTimestamp.Should().BeFalse();
        first.Window.Should().Be(65535, "without scaling the 256 KiB window is capped at 65535");
        first.Seq.Should().Be(HostIsn + 1);
        // Nagle as Minshall refined it: the short tail does not wait for the ACK of a full-sized segment.
        var second = Peer.Next();
        second.Seq.Should().Be(unchecked(HostIsn + 1 + 536u));
        second.Length.Should().Be(464);
    }

    [Test]
    public void Active_open_sends_syn_with_all_options_and_completes_on_syn_ack()
    {
        Peer = new ScriptedPeer(new TcpSettings { FixedInitialSequenceNumber = HostIsn });
        var connect = Peer.Host.ConnectTcpAsync(ScriptedPeer.PeerIp, 5000);
        var syn = Peer.Next();
        syn.Flags.Should().Be(TcpFlags.Syn);
        syn.Seq.Should().Be(HostIsn);
        syn.Ack.Should().Be(0);
        syn.Options.Mss.Should().Be(1460);
        syn.Options.WindowScale.Should().Be(3);
        syn.Options.SackPermitted.Should().BeTrue();
        syn.Options.HasTimestamp.Should().BeTrue();
        syn.Options.TsEcr.Should().Be(0);

        Peer.RunFor(Duration.FromMilliseconds(10));
        Peer.Send(TcpFlags.Syn | TcpFlags.Ack, PeerIsn, HostIsn + 1, 1000, ScriptedPeer.Opts(mss: 1000, ws: 2, tsVal: 5, tsEcr: syn.Options.TsVal),
            sourcePort: 5000, destinationPort: syn.SourcePort);
        var ack = Peer.Next();
        ack.Flags.Should().Be(TcpFlags.Ack);
        ack.Seq.Should().Be(HostIsn + 1);
        ack.Ack.Should().Be(PeerIsn + 1);
        ack.Options.HasTimestamp.Should().BeTrue();
        ack.Options.TsEcr.Should().Be(5);
        ack.Window.Should().Be((ushort)(256 * 1024 >> 3));
        Peer.RunFor(Duration.Zero);
        connect.IsCompletedSuccessfully.Should().BeTrue();
        var c = connect.Result.Connection;
        c.SackEnabled.Should().BeFalse("the SYN-ACK did not permit SACK");
        c.SendShift.Should().Be(2);
        c.SendWindow.Should().Be(1000, "the window in a SYN-ACK is not scaled");
        c.EffectiveMss.Should().Be(1000 - 12);
        c.SmoothedRtt.Should().Be(Duration.FromMilliseconds(10));
    }

    [Test]
    public void Syn_is_retransmitted_at_1s_then_3s_and_connect_times_out()
    {
        Peer = new ScriptedPeer(Plain(new TcpSettings { SynRetries = 2 }));
        var connect = Peer.Host.ConnectTcpAsync(ScriptedPeer.PeerIp, 5000);
        Peer.Next().Time.Should().Be(Instant.Zero);
        Peer.RunUntil(Ms(999));
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(1000));
        var second = Peer.Next();
        second.Time.Should().Be(Ms(1000));
        second.Flags.Should().Be(TcpFlags.Syn);
        second.Seq.Should().Be(HostIsn);
        Peer.RunUntil(Ms(2999));
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(3000));
        Peer.Next().Time.Should().Be(Ms(3000));
        Peer.RunUntil(Ms(6999));
        connect.IsCompleted.Should().BeFalse();
        Peer.RunUntil(Ms(7000));
        Peer.ExpectNothing();
        connect.IsFaulted.Should().BeTrue();
        var e = connect.Exception!.InnerException.Should().BeOfType<SocketException>().Subject;
        e.SocketErrorCode.Should().Be(SocketError.TimedOut);
        e.Message.Should().Contain("10.0.0.2:5000");
        Peer.Host.Tcp.Connections.Should().BeEmpty();
    }

    [Test]
    public void Lost_syn_ack_then_handshake_completes_after_the_retransmitted_syn()
    {
        Peer = new ScriptedPeer(Plain());
        var connect = Peer.Host.ConnectTcpAsync(ScriptedPeer.PeerIp, 5000);
        var syn = Peer.Next();
        // The peer's first SYN-ACK is lost: the host hears nothing until its SYN goes again at exactly 1 s.
        Peer.RunUntil(Ms(999));
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(1000));
        Peer.Next().Flags.Should().Be(TcpFlags.Syn);
        Peer.Send(TcpFlags.Syn | TcpFlags.Ack, PeerIsn, HostIsn + 1, 8192, ScriptedPeer.Opts(mss: 1460),
            sourcePort: 5000, destinationPort: syn.SourcePort);
        Peer.Next().Flags.Should().Be(TcpFlags.Ack);
        Peer.RunFor(Duration.Zero);
        connect.IsCompletedSuccessfully.Should().BeTrue();
        connect.Result.Connection.SmoothedRtt.Should().Be(Duration.Zero, "Karn: no sample from a retransmitted SYN");
        connect.Result.Connection.RetransmissionTimeout.Should().Be(Duration.FromSeconds(2), "the backed-off RTO stays");
    }

    [Test]
    public void Rst_ack_answering_the_syn_refuses_the_connection()
    {
        Peer = new ScriptedPeer(Plain());
        var connect = Peer.Host.ConnectTcpAsync(ScriptedPeer.PeerIp, 5000);
        var syn = Peer.Next();
        // A RST without ACK is not acceptable in SYN-SENT; a RST whose ACK is wrong neither.
        Peer.Send(TcpFlags.Rst, 0, 0, 0, sourcePort: 5000, destinationPort: syn.SourcePort);
        Peer.Send(TcpFlags.Rst | TcpFlags.Ack, 0, HostIsn + 2, 0, sourcePort: 5000, destinationPort: syn.SourcePort);
        Peer.RunFor(Duration.Zero);
        connect.IsCompleted.Should().BeFalse();
        Peer.ExpectNothing();
        Peer.Send(TcpFlags.Rst | TcpFlags.Ack, 0, HostIsn + 1, 0, sourcePort: 5000, destinationPort: syn.SourcePort);
        Peer.RunFor(Duration.Zero);
        connect.Exception!.InnerException.Should().BeOfType<SocketException>()
            .Which.SocketErrorCode.Should().Be(SocketError.ConnectionRefused);
        Peer.ExpectNothing();
    }

    [Test]
    public void Syn_sent_answers_a_bad_ack_with_a_reset()
    {
        Peer = new ScriptedPeer(Plain());
        Peer.Host.ConnectTcpAsync(ScriptedPeer.PeerIp, 5000);
        var syn = Peer.Next();
        Peer.Send(TcpFlags.Ack, 777, 12345, sourcePort: 5000, destinationPort: syn.SourcePort);
        var rst = Peer.Next();
        rst.Flags.Should().Be(TcpFlags.Rst);
        rst.Seq.Should().Be(12345u);
        Peer.Host.Tcp.Connections.Single().State.Should().Be(TcpState.SynSent);
    }

    [Test]
    public void Closed_port_resets_per_rfc_9293_3_10_7_1()
    {
        Peer = new ScriptedPeer(Plain());
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460));
        var rst = Peer.Next();
        rst.Flags.Should().Be(TcpFlags.Rst | TcpFlags.Ack);
        rst.Seq.Should().Be(0);
        rst.Ack.Should().Be(PeerIsn + 1, "SEG.SEQ + SEG.LEN, the SYN counting one, across the wrap");
        rst.SourcePort.Should().Be(ScriptedPeer.HostPort);
        rst.DestinationPort.Should().Be(ScriptedPeer.PeerPort);

        Peer.Send(TcpFlags.Fin | TcpFlags.Psh, 0xFFFF_FFFE, payload: Bytes(5));
        var rst2 = Peer.Next();
        rst2.Flags.Should().Be(TcpFlags.Rst | TcpFlags.Ack);
        rst2.Ack.Should().Be(unchecked(0xFFFF_FFFEu + 6u), "five data bytes and the FIN, wrapping to 4");

        Peer.Send(TcpFlags.Ack, 100, 5555);
        var rst3 = Peer.Next();
        rst3.Flags.Should().Be(TcpFlags.Rst);
        rst3.Seq.Should().Be(5555u);

        Peer.Send(TcpFlags.Rst, 100);
        Peer.Send(TcpFlags.Rst | TcpFlags.Ack, 100, 5);
        Peer.ExpectNothing();
        Peer.Host.Counters.Dropped(Diagnostics.DropReason.TcpNoConnection).Should().Be(5);
    }

    [Test]
    public void Listen_resets_an_ack_and_ignores_a_rst()
    {
        Peer = new ScriptedPeer(Plain());
        Peer.Host.ListenTcp(80);
        Peer.Send(TcpFlags.Ack, 100, 4242);
        var rst = Peer.Next();
        rst.Flags.Should().Be(TcpFlags.Rst);
        rst.Seq.Should().Be(4242u);
        Peer.Send(TcpFlags.Rst, 100);
        Peer.ExpectNothing();
        Peer.Host.Tcp.Connections.Should().BeEmpty();
    }

    [Test]
    public void Listen_backlog_bounds_half_open_connections()
    {
        Peer = new ScriptedPeer(Plain(new TcpSettings { SynCookies = false })); // with cookies see SynCookieTraceTests
        var listener = Peer.Host.ListenTcp(80, backlog: 2);
        for (ushort p = 1; p <= 3; p++)
            Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460), sourcePort: (ushort)(40000 + p));
        Peer.TakeAll().Should().HaveCount(2).And.OnlyContain(s => s.Flags == (TcpFlags.Syn | TcpFlags.Ack));
        listener.HalfOpen.Should().Be(2);
        Peer.Host.Counters.Dropped(Diagnostics.DropReason.TcpBacklogFull).Should().Be(1);
    }

    [Test]
    public void Syn_ack_is_retransmitted_with_backoff_then_the_half_open_connection_is_dropped()
    {
        Peer = new ScriptedPeer(Plain(new TcpSettings { SynAckRetries = 2 }));
        var listener = Peer.Host.ListenTcp(80);
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460));
        Peer.Next().Time.Should().Be(Instant.Zero);
        Peer.RunUntil(Ms(10_000));
        Peer.TakeAll().Select(s => (s.Time, s.Flags)).Should().Equal(
            (Ms(1000), TcpFlags.Syn | TcpFlags.Ack), (Ms(3000), TcpFlags.Syn | TcpFlags.Ack));
        listener.HalfOpen.Should().Be(0);
        Peer.Host.Tcp.Connections.Should().BeEmpty();
    }

    [Test]
    public void Retransmitted_syn_in_syn_received_repeats_the_syn_ack()
    {
        Peer = new ScriptedPeer(Plain());
        Peer.Host.ListenTcp(80);
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460));
        var first = Peer.Next();
        Peer.RunUntil(Ms(500));
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460));
        var again = Peer.Next();
        again.Flags.Should().Be(TcpFlags.Syn | TcpFlags.Ack);
        again.Seq.Should().Be(first.Seq);
        again.Ack.Should().Be(first.Ack);
    }

    [Test]
    public void A_retransmitted_syn_draws_a_syn_ack_unless_one_left_in_the_last_500_ms()
    {
        Peer = new ScriptedPeer(Plain());
        Peer.Host.ListenTcp(ScriptedPeer.HostPort);
        var start = Peer.Loop.Now;
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460));
        var first = Peer.Next();
        first.Flags.Should().Be(TcpFlags.Syn | TcpFlags.Ack);

        Peer.RunUntil(start + Duration.FromMilliseconds(100));
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460));
        Peer.ExpectNothing(); // the SYN-ACK of 100 ms ago may still be on its way

        Peer.RunUntil(start + Duration.FromMilliseconds(600));
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460));
        var answer = Peer.Next();
        answer.Flags.Should().Be(TcpFlags.Syn | TcpFlags.Ack);
        answer.Seq.Should().Be(first.Seq);

        // The retransmission timer still runs from the first SYN-ACK: 1 s. A SYN crossing it draws nothing more.
        Peer.RunUntil(start + Duration.FromMilliseconds(999));
        Peer.ExpectNothing();
        Peer.RunUntil(start + Duration.FromSeconds(1));
        Peer.Next().Flags.Should().Be(TcpFlags.Syn | TcpFlags.Ack);
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460));
        Peer.ExpectNothing();
    }

    [Test]
    public void Simultaneous_open_goes_through_syn_received()
    {
        Peer = new ScriptedPeer(Plain());
        var connect = Peer.Host.ConnectTcpAsync(ScriptedPeer.PeerIp, 5000, localPort: 6000);
        var syn = Peer.Next();
        // The peer's own SYN crosses ours.
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460), sourcePort: 5000, destinationPort: 6000);
        var synAck = Peer.Next();
        synAck.Flags.Should().Be(TcpFlags.Syn | TcpFlags.Ack);
        synAck.Seq.Should().Be(syn.Seq, "the SYN-ACK repeats the original ISS");
        synAck.Ack.Should().Be(PeerIsn + 1);
        Peer.Host.Tcp.Connections.Single().State.Should().Be(TcpState.SynReceived);
        // The peer's SYN-ACK (its view of the same exchange).
        Peer.Send(TcpFlags.Syn | TcpFlags.Ack, PeerIsn, HostIsn + 1, options: ScriptedPeer.Opts(mss: 1460), sourcePort: 5000, destinationPort: 6000);
        Peer.RunFor(Duration.Zero);
        connect.IsCompletedSuccessfully.Should().BeTrue();
        connect.Result.Connection.State.Should().Be(TcpState.Established);
    }

    [Test]
    public void Icmp_port_unreachable_refuses_a_connect()
    {
        Peer = new ScriptedPeer(Plain());
        var connect = Peer.Host.ConnectTcpAsync(ScriptedPeer.PeerIp, 5000);
        var syn = Peer.Next();
        // Hand the host an ICMP port unreachable quoting its SYN.
        Peer.SendIcmpError(IcmpType.DestinationUnreachable, (byte)UnreachableCode.Port, syn.SourcePort, 5000, syn.Seq, 0,
            TcpFlags.Syn);
        Peer.RunFor(Duration.Zero);
        connect.Exception!.InnerException.Should().BeOfType<SocketException>()
            .Which.SocketErrorCode.Should().Be(SocketError.ConnectionRefused);
    }

    [Test]
    public void Data_and_fin_on_a_syn_ack_are_delivered()
    {
        Peer = new ScriptedPeer(Plain());
        var connect = Peer.Host.ConnectTcpAsync(ScriptedPeer.PeerIp, 5000);
        var syn = Peer.Next();
        Peer.Send(TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Fin, PeerIsn, HostIsn + 1, 8192, ScriptedPeer.Opts(mss: 1460),
            payload: Bytes(20), sourcePort: 5000, destinationPort: syn.SourcePort);
        var ack = Peer.Next();
        ack.Ack.Should().Be(unchecked(PeerIsn + 1 + 20 + 1), "the data and the FIN are acknowledged");
        Peer.RunFor(Duration.Zero);
        var stream = connect.Result;
        stream.Connection.State.Should().Be(TcpState.CloseWait);
        var buffer = new byte[64];
        stream.Read(buffer).Should().Be(20);
        buffer.Take(20).Should().Equal(Bytes(20));
        stream.Read(buffer).Should().Be(0);
    }
}
