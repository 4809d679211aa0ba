using FluentAssertions;
using Netstack.Api;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;

namespace Netstack.Tests.Tcp;

/// <summary>Shared set-up for packet-trace tests: one stack, a scripted peer, sequence numbers chosen
/// near 2^32 so every test also exercises wraparound.</summary>
public abstract class TraceTestBase
{
    protected const uint HostIsn = 0xFFFF_FF00;
    protected const uint PeerIsn = 0xFFFF_FFF0;

    /// <summary>Plain options: no timestamps (predictable RTO and headers), fixed ISN near wraparound.</summary>
    protected static TcpSettings Plain(TcpSettings? o = null) => (o ?? new TcpSettings()) with
    {
        Timestamps = false,
        FixedInitialSequenceNumber = HostIsn,
    };

    protected ScriptedPeer Peer = null!;
    protected TcpStream Stream = null!;
    protected TcpConnection Conn => Stream.Connection;

    /// <summary>Passive open on the host: SYN from the peer, SYN-ACK back, ACK; the stream is accepted.
    /// Afterwards the host's next sequence is HostIsn+1 and the peer's PeerIsn+1.</summary>
    protected void EstablishPassive(TcpSettings? options = null, ushort peerWindow = 65535, TcpHeaderOptions? synOptions = null)
    {
        Peer = new ScriptedPeer(options ?? Plain());
        var listener = Peer.Host.ListenTcp(ScriptedPeer.HostPort);
        var accept = listener.AcceptAsync();
        Peer.Send(TcpFlags.Syn, PeerIsn, window: peerWindow, options: synOptions ?? ScriptedPeer.Opts(mss: 1460));
        var synAck = Peer.Next();
        synAck.Flags.Should().Be(TcpFlags.Syn | TcpFlags.Ack);
        synAck.Ack.Should().Be(PeerIsn + 1);
        Peer.Send(TcpFlags.Ack, PeerIsn + 1, synAck.Seq + 1, peerWindow);
        Peer.RunFor(Duration.Zero);
        accept.IsCompletedSuccessfully.Should().BeTrue();
        Stream = accept.Result;
        Conn.State.Should().Be(TcpState.Established);
    }

    protected static byte[] Bytes(int n, int seed = 0)
    {
        var b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte)(i * 7 + seed);
        return b;
    }

    protected static Instant Ms(double ms) => Instant.FromMilliseconds(ms);
}
