using FluentAssertions;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>What the personalities put on the wire (docs/personalities.md): SYN options byte for byte as the Linux
/// kernel (measured) and FreeBSD (freebsd-net/tcp-testsuite) send them, the SYN window, quick and delayed ACKs.</summary>
public class PersonalityTraceTests : TraceTestBase
{
    private static uint P(int offset) => unchecked(PeerIsn + 1 + (uint)offset);

    private static TcpSettings Fixed(TcpPersonality personality) =>
        TcpSettings.ForPersonality(personality) with { FixedInitialSequenceNumber = HostIsn };

    private SentSegment ActiveSyn(TcpPersonality personality)
    {
        Peer = new ScriptedPeer(TcpSettings.ForPersonality(personality) with { FixedInitialSequenceNumber = HostIsn });
        _ = Peer.Host.ConnectTcpAsync(ScriptedPeer.PeerIp, 5000);
        Peer.RunFor(Duration.FromMilliseconds(1));
        return Peer.TakeAll().Single(s => (s.Flags & TcpFlags.Syn) != 0);
    }

    [Test]
    public void Linux_syn_offers_window_64240_and_lays_out_mss_sackok_ts_nop_wscale_10()
    {
        var syn = ActiveSyn(TcpPersonality.Linux);
        syn.Window.Should().Be(64240, "44 segments of 1460: the kernel's SYN, measured on the tap");
        syn.RawOptions.Should().HaveCount(20);
        syn.RawOptions[..4].Should().Equal(2, 4, 0x05, 0xb4);
        syn.RawOptions[4..8].Should().Equal(4, 2, 8, 10);
        syn.RawOptions[16..].Should().Equal(1, 3, 3, 10);
    }

    [Test]
    public void Freebsd_syn_offers_window_65535_and_lays_out_mss_nop_wscale_6_sackok_ts()
    {
        var syn = ActiveSyn(TcpPersonality.FreeBsd);
        syn.Window.Should().Be(65535);
        syn.RawOptions.Should().HaveCount(20);
        syn.RawOptions[..10].Should().Equal(2, 4, 0x05, 0xb4, 1, 3, 3, 6, 4, 2);
        syn.RawOptions[10..12].Should().Equal(8, 10);
    }

    [Test]
    public void Rfc_syn_is_unchanged_window_65535_wscale_3()
    {
        var syn = ActiveSyn(TcpPersonality.Rfc);
        syn.Window.Should().Be(65535);
        syn.RawOptions[16..].Should().Equal(1, 3, 3, 3);
    }

    [Test]
    public void Freebsd_syn_ack_to_a_peer_offering_only_mss_and_sack_pads_with_eol()
    {
        EstablishPassive(Fixed(TcpPersonality.FreeBsd), synOptions: ScriptedPeer.Opts(mss: 1460, sackOk: true));
        var synAck = Peer.Sent.Single(s => s.Flags == (TcpFlags.Syn | TcpFlags.Ack));
        synAck.RawOptions.Should().Equal(2, 4, 0x05, 0xb4, 4, 2, 0, 0);
        synAck.Window.Should().Be(65535);
    }

    [Test]
    public void Linux_syn_ack_with_timestamps_offers_45_segments_of_1448()
    {
        EstablishPassive(Fixed(TcpPersonality.Linux),
            synOptions: ScriptedPeer.Opts(mss: 1460, ws: 7, sackOk: true, tsVal: 1));
        var synAck = Peer.Sent.Single(s => s.Flags == (TcpFlags.Syn | TcpFlags.Ack));
        synAck.Window.Should().Be(65160);
        synAck.Options.WindowScale.Should().Be(10);
    }

    [Test]
    public void Linux_active_open_advertises_its_syn_window_rounded_up_after_the_handshake_63_not_64()
    {
        var syn = ActiveSyn(TcpPersonality.Linux);
        Peer.Send(TcpFlags.Syn | TcpFlags.Ack, PeerIsn, syn.Seq + 1,
            options: ScriptedPeer.Opts(mss: 1460, ws: 7, sackOk: true, tsVal: 1, tsEcr: syn.Options.TsVal),
            sourcePort: 5000, destinationPort: syn.SourcePort);
        var ack = Peer.Next();
        ack.Flags.Should().Be(TcpFlags.Ack);
        // Measured on the tap (linux-tcp-connection): the kernel's handshake ACK and the data after it say 63 << 10, the
        // SYN's 64240 rounded up, although 64 KiB of buffer are free (which would say 64).
        ack.Window.Should().Be(63);
    }

    [Test]
    public void Linux_rounds_a_scaled_window_up()
    {
        EstablishPassive(Fixed(TcpPersonality.Linux), synOptions: ScriptedPeer.Opts(mss: 1460, ws: 7, sackOk: true));
        Peer.TakeAll();
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(0), HostIsn + 1, payload: Bytes(2000));
        // 63536 bytes free (under the SYN-ACK's 64240): 62.05 units of 1024, advertised as 63 (rounded down: 62).
        Peer.TakeAll().Last().Window.Should().Be(63);
    }

    [Test]
    public void Freebsd_rounds_a_scaled_window_up_as_tcp_testsuite_expects()
    {
        EstablishPassive(Fixed(TcpPersonality.FreeBsd), synOptions: ScriptedPeer.Opts(mss: 1460, ws: 7, sackOk: true));
        Peer.TakeAll();
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(0), HostIsn + 1, payload: Bytes(799));
        Peer.RunFor(Duration.FromMilliseconds(100));
        // tcp-testsuite: 64901 bytes free (65700 - 799) are advertised as 1015 << 6 (64901 / 64 = 1014.1; rounded
        // down: 1014).
        var ack = Peer.TakeAll().Last();
        ack.Ack.Should().Be(P(799));
        ack.Window.Should().Be(1015);
    }

    [Test]
    public void Linux_acknowledges_the_first_data_at_once_and_lets_the_ack_of_a_fin_wait_40_ms()
    {
        EstablishPassive(Fixed(TcpPersonality.Linux));
        Peer.TakeAll();
        var start = Peer.Loop.Now;
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(0), HostIsn + 1, payload: Bytes(5));
        var ack = Peer.Next();
        ack.Ack.Should().Be(P(5));
        ack.Time.Should().Be(start, "quick-ACK mode at the start of a connection");
        Peer.Send(TcpFlags.Ack | TcpFlags.Fin, P(5), HostIsn + 1);
        var finAt = Peer.Loop.Now;
        Peer.RunUntil(finAt + Duration.FromMilliseconds(39));
        Peer.ExpectNothing();
        Peer.RunUntil(finAt + Duration.FromMilliseconds(40));
        Peer.Next().Ack.Should().Be(P(6));
    }

    [Test]
    public void Rfc_delays_the_ack_of_the_first_data_and_acknowledges_a_fin_at_once()
    {
        EstablishPassive(Plain());
        Peer.TakeAll();
        var start = Peer.Loop.Now;
        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(0), HostIsn + 1, payload: Bytes(5));
        Peer.ExpectNothing();
        Peer.Send(TcpFlags.Ack | TcpFlags.Fin, P(5), HostIsn + 1);
        Peer.Next().Time.Should().Be(start);
    }

    [Test]
    public void Personality_names_parse_and_unknown_ones_do_not()
    {
        TcpSettings.TryParsePersonality("FreeBSD", out var p).Should().BeTrue();
        p.Should().Be(TcpPersonality.FreeBsd);
        TcpSettings.TryParsePersonality("windows", out _).Should().BeFalse();
        TcpSettings.ForPersonality(TcpPersonality.Rfc).Should().Be(new TcpSettings());
    }
}
