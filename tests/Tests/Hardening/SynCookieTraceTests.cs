using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Tests.Tcp;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Hardening;

/// <summary>SYN cookies as a packet trace: with the backlog full, a SYN draws a stateless SYN-ACK, and
/// only an ACK returning its cookie creates the connection.</summary>
public class SynCookieTraceTests : TraceTestBase
{
    private const ushort First = 40001, Second = 40002;

    private (Api.TcpListenSocket Listener, SentSegment CookieSynAck) FillBacklogThenSyn()
    {
        Peer = new ScriptedPeer(Plain());
        var listener = Peer.Host.ListenTcp(ScriptedPeer.HostPort, backlog: 1);
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460, ws: 7, sackOk: true), sourcePort: First);
        var normal = Peer.Next();
        normal.Options.WindowScale.Should().BeGreaterThanOrEqualTo(0, "a normal SYN-ACK offers window scaling");
        listener.HalfOpen.Should().Be(1);

        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1400, ws: 7, sackOk: true), sourcePort: Second);
        var cookie = Peer.Next();
        cookie.Flags.Should().Be(TcpFlags.Syn | TcpFlags.Ack);
        cookie.DestinationPort.Should().Be(Second);
        cookie.Ack.Should().Be(PeerIsn + 1);
        cookie.Options.Mss.Should().Be(1460);
        cookie.Options.WindowScale.Should().Be(-1, "a cookie cannot remember window scaling");
        cookie.Options.SackPermitted.Should().BeFalse();
        listener.HalfOpen.Should().Be(1, "the cookie SYN-ACK left no state");
        Peer.Host.Tcp.Connections.Should().HaveCount(1);
        Peer.Host.Counters.TcpSynCookiesSent.Should().Be(1);
        return (listener, cookie);
    }

    [Test]
    public void Ack_returning_the_cookie_opens_the_connection_and_delivers_its_data()
    {
        var (listener, cookie) = FillBacklogThenSyn();
        var accept = listener.AcceptAsync();
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, PeerIsn + 1, cookie.Seq + 1, payload: [7, 8, 9], sourcePort: Second);
        Peer.RunFor(Duration.Zero);

        accept.IsCompletedSuccessfully.Should().BeTrue();
        var conn = accept.Result.Connection;
        conn.Key.RemotePort.Should().Be(Second);
        conn.State.Should().Be(TcpState.Established);
        conn.InitialSendSequence.Should().Be(cookie.Seq);
        conn.EffectiveMss.Should().Be(1400, "the peer's MSS came back in the cookie");
        conn.WindowScalingEnabled.Should().BeFalse();
        var buffer = new byte[3];
        accept.Result.Read(buffer).Should().Be(3);
        buffer.Should().Equal(7, 8, 9);
        Peer.Host.Counters.TcpSynCookiesAccepted.Should().Be(1);
    }

    [Test]
    public void Ack_with_a_wrong_cookie_is_reset()
    {
        var (_, cookie) = FillBacklogThenSyn();
        Peer.Send(TcpFlags.Ack, PeerIsn + 1, cookie.Seq + 1 + 8, sourcePort: Second);
        var rst = Peer.Next();
        rst.Flags.Should().Be(TcpFlags.Rst);
        rst.Seq.Should().Be(cookie.Seq + 1 + 8);
        Peer.Host.Tcp.Connections.Should().HaveCount(1);
        Peer.Host.Counters.TcpSynCookiesAccepted.Should().Be(0);
    }

    [Test]
    public void Ack_for_another_four_tuple_is_reset()
    {
        var (_, cookie) = FillBacklogThenSyn();
        Peer.Send(TcpFlags.Ack, PeerIsn + 1, cookie.Seq + 1, sourcePort: 40003);
        Peer.Next().Flags.Should().Be(TcpFlags.Rst);
        Peer.Host.Counters.TcpSynCookiesAccepted.Should().Be(0);
    }

    [Test]
    public void Cookie_expires_after_two_periods()
    {
        var (listener, cookie) = FillBacklogThenSyn();
        Peer.RunFor(SynCookies.Period + SynCookies.Period + Duration.FromSeconds(1));
        Peer.TakeAll(); // the first half-open connection's SYN-ACK retransmissions
        Peer.Send(TcpFlags.Ack, PeerIsn + 1, cookie.Seq + 1, sourcePort: Second);
        Peer.RunFor(Duration.Zero); // the host's ARP entry for the peer expired meanwhile
        Peer.Next().Flags.Should().Be(TcpFlags.Rst);
        listener.PendingAccepts.Should().Be(0);
    }

    [Test]
    public void Without_cookies_the_full_backlog_drops_the_syn()
    {
        Peer = new ScriptedPeer(Plain(new TcpSettings { SynCookies = false }));
        Peer.Host.ListenTcp(ScriptedPeer.HostPort, backlog: 1);
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460), sourcePort: First);
        Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460), sourcePort: Second);
        Peer.TakeAll().Should().ContainSingle().Which.DestinationPort.Should().Be(First);
        Peer.Host.Counters.Dropped(DropReason.TcpBacklogFull).Should().Be(1);
    }
}
