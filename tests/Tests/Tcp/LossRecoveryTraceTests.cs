using FluentAssertions;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>Loss recovery beyond the basics (issue 11): how the retransmission timer recovers from backoff, in
/// the packet-trace style.</summary>
public class LossRecoveryTraceTests : TraceTestBase
{
    private static uint H(int offset) => unchecked(HostIsn + 1 + (uint)offset);
    private static uint P(int offset) => unchecked(PeerIsn + 1 + (uint)offset);
    private const int Mss = 1460 - 12; // timestamps on

    private void EstablishWithTimestamps(TcpSettings? settings = null) =>
        EstablishPassive((settings ?? new TcpSettings()) with { FixedInitialSequenceNumber = HostIsn },
            synOptions: ScriptedPeer.Opts(mss: 1460, tsVal: 1000));

    [Test]
    public void An_ack_of_new_data_after_backoff_restarts_the_timer_unbacked_off_and_a_stale_echo_is_no_sample()
    {
        EstablishWithTimestamps();
        Stream.Write(Bytes(3 * Mss));
        var first = Peer.TakeAll();
        first.Should().HaveCount(3);
        // The peer receives all three but its ACKs are lost: the host retransmits the first at 1 s, 3 s, 7 s.
        Peer.RunUntil(Instant.FromSeconds(7));
        Peer.TakeAll().Select(s => s.Time).Should().Equal(Instant.FromSeconds(1), Instant.FromSeconds(3), Instant.FromSeconds(7));
        Conn.RetransmissionTimeout.Should().Be(TimeSpan.FromSeconds(8));
        // The retransmission is a duplicate to the peer: its ACK echoes TS.Recent, the TSval of the original
        // (RFC 7323 §4.3). That echo predates the retransmissions: 7 s is the ACKs' loss, not a round trip.
        Peer.RunUntil(Ms(7010));
        var srttBefore = Conn.SmoothedRtt;
        Peer.Send(TcpFlags.Ack, P(0), H(3 * Mss), options: ScriptedPeer.Opts(tsVal: 2000, tsEcr: first[0].Options.TsVal));
        Conn.SmoothedRtt.Should().Be(srttBefore, "no round-trip sample was taken");
        Conn.RetransmissionTimeout.Should().Be(TimeSpan.FromSeconds(1), "the ACK of new data collapses the backoff");
        // New data is timed with the collapsed RTO: a lost segment goes again 1 s later, not 8 s or more.
        Stream.Write(Bytes(100));
        Peer.Next().Seq.Should().Be(H(3 * Mss));
        Peer.RunUntil(Ms(8009));
        Peer.ExpectNothing();
        Peer.RunUntil(Ms(8010));
        var again = Peer.Next();
        again.Seq.Should().Be(H(3 * Mss));
        again.Length.Should().Be(100);
    }

    [Test]
    public void A_fresh_echo_after_backoff_is_sampled_and_sets_the_timer()
    {
        EstablishWithTimestamps();
        Stream.Write(Bytes(Mss));
        Peer.Next();
        Peer.RunUntil(Instant.FromSeconds(3));
        var rtx = Peer.TakeAll();
        rtx.Should().HaveCount(2);
        // The second retransmission arrives and is acknowledged 40 ms later, echoing its own TSval.
        Peer.RunUntil(Ms(3040));
        var srttBefore = Conn.SmoothedRtt; // the handshake's sample
        Peer.Send(TcpFlags.Ack, P(0), H(Mss), options: ScriptedPeer.Opts(tsVal: 2000, tsEcr: rtx[1].Options.TsVal));
        Conn.SmoothedRtt.Should().Be(srttBefore * 7 / 8 + TimeSpan.FromMilliseconds(40) / 8,
            "RFC 7323 §4: the echo times the retransmission");
        Conn.RetransmissionTimeout.Should().Be(TimeSpan.FromSeconds(1));
    }
}
