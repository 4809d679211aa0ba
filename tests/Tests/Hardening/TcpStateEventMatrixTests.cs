using FluentAssertions;
using Netstack.Tests.Tcp;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Hardening;

/// <summary>Drives a real stack into each TCP state with a scripted peer, delivers one segment per cell of
/// <see cref="TcpStateEventTable"/> and checks the segment emitted at once and the state afterwards.
/// Test names read STATE/EVENT/position, e.g. ESTABLISHED/RST/just-outside-right.</summary>
public class TcpStateEventMatrixTests : TraceTestBase
{
    private const int ReceiveBuffer = 8192;
    private TcpConnection? _conn;

    private static TcpSettings Options() => Plain(new TcpSettings
    {
        ReceiveBufferSize = ReceiveBuffer,
        DelayedAck = false,
        TimeWaitDuration = Duration.FromSeconds(10),
    });

    public static IEnumerable<TestCaseData> Cells()
    {
        foreach (var row in TcpStateEventTable.Rows)
            foreach (var position in Enum.GetValues<WindowPosition>())
                yield return new TestCaseData(row.State, row.Event, position)
                    .SetName($"{TcpStateEventTable.Name(row.State)}/{TcpStateEventTable.Name(row.Event)}/{TcpStateEventTable.Name(position)}");
    }

    [Test]
    public void Every_state_and_event_has_a_row()
    {
        var states = Enum.GetValues<TcpState>().Where(s => s != TcpState.Closed);
        foreach (var s in states)
            foreach (var e in Enum.GetValues<MatrixEvent>())
                TcpStateEventTable.Rows.Should().ContainSingle(r => r.State == s && r.Event == e, $"{s}/{e}");
    }

    [TestCaseSource(nameof(Cells))]
    public void Cell(TcpState state, MatrixEvent ev, WindowPosition position)
    {
        var row = TcpStateEventTable.Rows.Single(r => r.State == state && r.Event == ev);
        var expected = row.At(position);

        Reach(state);
        Peer.TakeAll();
        // The window as the stack last advertised it (no window scaling: the peer's SYN offers none).
        uint rcvNxt = _conn?.State.IsSynchronized() == true ? _conn.ReceiveNext : PeerIsn + 1;
        uint sndNxt = _conn?.SendNext ?? HostIsn + 1;
        uint iss = HostIsn;
        int window = _conn?.State.IsSynchronized() == true ? Peer.Sent[^1].Window : ReceiveBuffer;
        window.Should().BeGreaterThan(1);
        uint seq = position switch
        {
            WindowPosition.LeftEdge => rcvNxt,
            WindowPosition.RightEdge => unchecked(rcvNxt + (uint)window - 1),
            WindowPosition.JustOutsideLeft => unchecked(rcvNxt - 1),
            _ => unchecked(rcvNxt + (uint)window),
        };
        long challengesBefore = Peer.Host.Counters.TcpChallengeAcksSent;

        var (flags, payload) = ev switch
        {
            MatrixEvent.Syn => (TcpFlags.Syn, Array.Empty<byte>()),
            MatrixEvent.SynAck => (TcpFlags.Syn | TcpFlags.Ack, Array.Empty<byte>()),
            MatrixEvent.Ack => (TcpFlags.Ack, Array.Empty<byte>()),
            MatrixEvent.Rst => (TcpFlags.Rst | TcpFlags.Ack, Array.Empty<byte>()),
            MatrixEvent.Fin => (TcpFlags.Fin | TcpFlags.Ack, Array.Empty<byte>()),
            _ => (TcpFlags.Psh | TcpFlags.Ack, new byte[] { 0x5a }),
        };
        uint ack = (flags & TcpFlags.Ack) != 0 ? sndNxt : 0;
        Peer.Send(flags, seq, ack, payload: payload,
            options: ev is MatrixEvent.Syn or MatrixEvent.SynAck ? ScriptedPeer.Opts(mss: 1460) : null);
        Peer.RunFor(Duration.Zero);

        var sent = Peer.TakeAll();
        string cell = $"{TestContext.CurrentContext.Test.Name} ({row.Rule}); sent: [{string.Join("; ", sent)}]";
        uint segLen = (uint)payload.Length + (ev is MatrixEvent.Syn or MatrixEvent.SynAck or MatrixEvent.Fin ? 1u : 0u);
        if (expected.Response == MatrixResponse.Nothing)
            sent.Should().BeEmpty(cell);
        else
        {
            sent.Should().HaveCount(1, cell);
            var s = sent[0];
            switch (expected.Response)
            {
                case MatrixResponse.Ack or MatrixResponse.ChallengeAck:
                    (s.Flags, s.Seq, s.Ack).Should().Be((TcpFlags.Ack, sndNxt, rcvNxt), cell);
                    break;
                case MatrixResponse.AckOfSegment:
                    (s.Flags, s.Seq, s.Ack).Should().Be((TcpFlags.Ack, sndNxt, unchecked(seq + segLen)), cell);
                    break;
                case MatrixResponse.SynAck:
                    (s.Flags, s.Seq, s.Ack).Should().Be((TcpFlags.Syn | TcpFlags.Ack, iss, unchecked(seq + 1)), cell);
                    break;
                case MatrixResponse.Rst:
                    (s.Flags, s.Seq).Should().Be((TcpFlags.Rst, ack), cell);
                    break;
            }
            s.Length.Should().Be(0, cell);
        }
        long challenges = Peer.Host.Counters.TcpChallengeAcksSent - challengesBefore;
        challenges.Should().Be(expected.Response == MatrixResponse.ChallengeAck ? 1 : 0, "challenge ACKs counted: " + cell);
        TcpStateEventTable.Name(ResultingState()).Should().Be(TcpStateEventTable.Name(expected.State), cell);
    }

    /// <summary>The state of the connection under test after the segment; a new connection on the same
    /// four-tuple (LISTEN's SYN, TIME-WAIT's new incarnation) takes its place; none left means LISTEN for a
    /// passive half-open connection (its listener remains), else CLOSED.</summary>
    private TcpState ResultingState()
    {
        if (_conn is { State: not TcpState.Closed }) return _conn.State;
        var key = new ConnectionKey(ScriptedPeer.HostIp, ScriptedPeer.HostPort, ScriptedPeer.PeerIp, ScriptedPeer.PeerPort);
        if (Peer.Host.Tcp.TryGetConnection(key, out var fresh) && fresh != _conn) return fresh.State;
        return _conn is null || _wasHalfOpen ? TcpState.Listen : TcpState.Closed;
    }

    private bool _wasHalfOpen;

    private static uint H(int offset) => unchecked(HostIsn + 1 + (uint)offset);
    private static uint P(int offset) => unchecked(PeerIsn + 1 + (uint)offset);

    /// <summary>Brings the host to <paramref name="state"/> by the usual path (see the trace tests in Tcp/).</summary>
    private void Reach(TcpState state)
    {
        _wasHalfOpen = false; // NUnit runs every case on one fixture instance
        switch (state)
        {
            case TcpState.Listen:
                Peer = new ScriptedPeer(Options());
                Peer.Host.ListenTcp(ScriptedPeer.HostPort);
                _conn = null;
                return;
            case TcpState.SynSent:
                Peer = new ScriptedPeer(Options());
                _conn = Peer.Host.Tcp.Connect(ScriptedPeer.PeerIp, ScriptedPeer.PeerPort, null, ScriptedPeer.HostPort);
                Peer.Next().Flags.Should().Be(TcpFlags.Syn);
                break;
            case TcpState.SynReceived:
                Peer = new ScriptedPeer(Options());
                Peer.Host.ListenTcp(ScriptedPeer.HostPort);
                Peer.Send(TcpFlags.Syn, PeerIsn, options: ScriptedPeer.Opts(mss: 1460));
                Peer.Next().Flags.Should().Be(TcpFlags.Syn | TcpFlags.Ack);
                // Waiting for the handshake's ACK for a while (less than the SYN-ACK's RTO): a duplicate SYN is
                // answered only when no SYN-ACK left in the last 500 ms.
                Peer.RunFor(Duration.FromMilliseconds(600));
                Peer.ExpectNothing();
                Peer.Host.Tcp.TryGetConnection(
                    new ConnectionKey(ScriptedPeer.HostIp, ScriptedPeer.HostPort, ScriptedPeer.PeerIp, ScriptedPeer.PeerPort),
                    out var half).Should().BeTrue();
                _conn = half;
                _wasHalfOpen = true;
                break;
            default:
                EstablishPassive(Options());
                _conn = Conn;
                switch (state)
                {
                    case TcpState.FinWait1:
                        Stream.ShutdownSend();
                        break;
                    case TcpState.FinWait2:
                        Stream.ShutdownSend();
                        Peer.Send(TcpFlags.Ack, P(0), H(1));
                        break;
                    case TcpState.CloseWait:
                        Peer.Send(TcpFlags.Fin | TcpFlags.Ack, P(0), H(0));
                        break;
                    case TcpState.Closing:
                        Stream.ShutdownSend();
                        Peer.Send(TcpFlags.Fin | TcpFlags.Ack, P(0), H(0));
                        break;
                    case TcpState.LastAck:
                        Peer.Send(TcpFlags.Fin | TcpFlags.Ack, P(0), H(0));
                        Stream.Dispose();
                        break;
                    case TcpState.TimeWait:
                        Stream.ShutdownSend();
                        Peer.Send(TcpFlags.Ack, P(0), H(1));
                        Peer.Send(TcpFlags.Fin | TcpFlags.Ack, P(0), H(1));
                        break;
                }
                break;
        }
        Peer.RunFor(Duration.Zero);
        _conn!.State.Should().Be(state, "the set-up reaches the state under test");
    }
}
