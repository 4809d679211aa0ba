using FluentAssertions;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Tcp;

/// <summary>Issue 18 #6: a peer offering a tiny MSS (8) made us cut data into 8-byte segments, 3,000 of them for 24 KB.
/// Like Linux's tcp_min_snd_mss (documented default 48, room for 40 bytes of options and 8 of data), an offered MSS
/// below 48 is raised to 48.</summary>
public class TinyMssTraceTests : TraceTestBase
{
    [TestCase(1, 48)]
    [TestCase(8, 48)]
    [TestCase(47, 48)]
    [TestCase(48, 48)]
    [TestCase(100, 100)]
    public void An_offered_mss_below_48_is_raised_to_48(int offered, int effective)
    {
        EstablishPassive(synOptions: ScriptedPeer.Opts(mss: (ushort)offered));

        Conn.EffectiveMss.Should().Be(effective);
        Stream.Write(Bytes(480));
        var first = Peer.Next();
        first.Length.Should().Be(effective, "every full segment carries the effective MSS");
    }

    [Test]
    public void With_timestamps_the_floor_still_leaves_data_in_every_segment()
    {
        EstablishPassive(Plain() with { Timestamps = true }, synOptions: ScriptedPeer.Opts(mss: 8, tsVal: 1));

        Conn.EffectiveMss.Should().Be(48 - 12, "the 48 bytes include the timestamp option");
    }

    [Test]
    public void A_syn_ack_offering_mss_8_on_an_active_open_is_raised_too()
    {
        Peer = new ScriptedPeer(Plain() with { FixedInitialSequenceNumber = HostIsn });
        var connect = Peer.Host.ConnectTcpAsync(ScriptedPeer.PeerIp, 5000);
        var syn = Peer.Next();
        Peer.Send(TcpFlags.Syn | TcpFlags.Ack, PeerIsn, syn.Seq + 1, 8192, ScriptedPeer.Opts(mss: 8),
            sourcePort: 5000, destinationPort: syn.SourcePort);
        Peer.RunFor(Duration.Zero);

        connect.IsCompletedSuccessfully.Should().BeTrue();
        connect.Result.Connection.EffectiveMss.Should().Be(48);
    }
}
