using System.Net.Sockets;
using FluentAssertions;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Tcp;

/// <summary>The application hears of received data only once the segment that brought it is processed: a read
/// made in the callback sees the segment's FIN, and the ACK the segment asks for is not preceded by a window
/// update the read would otherwise have sent mid-segment.</summary>
public class DeferredNotificationTraceTests : TraceTestBase
{
    private static uint P(int offset) => unchecked(PeerIsn + 1 + (uint)offset);

    // A 2000-byte buffer: reading 1000 bytes opens the window by min(buffer/2, 2*MSS) = 1000, enough for the
    // receiver to announce it (RFC 9293 §3.8.6.2.2) if it were asked mid-segment.
    private static TcpSettings SmallBuffer() => Plain(new TcpSettings { ReceiveBufferSize = 2000 });

    private sealed class ReadingObserver : ITcpConnectionObserver
    {
        public readonly List<(TcpState State, int SegmentsSentBefore, int Read)> Readable = new();
        public required ScriptedPeer Peer;

        public void OnEstablished(TcpConnection connection) { }
        public void OnWritable(TcpConnection connection) { }
        public void OnClosed(TcpConnection connection, SocketError error) { }

        public void OnReadable(TcpConnection connection)
        {
            int sentBefore = Peer.Sent.Count;
            int read = connection.Receive(new byte[4000]);
            Readable.Add((connection.State, sentBefore, read));
        }
    }

    [Test]
    public void Data_and_fin_in_one_segment_notify_after_the_fin_and_draw_one_ack()
    {
        EstablishPassive(SmallBuffer());
        var observer = new ReadingObserver { Peer = Peer };
        Conn.Observer = observer;
        int sentBefore = Peer.Sent.Count;

        Peer.Send(TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin, P(0), HostIsn + 1, payload: Bytes(1000));

        observer.Readable.Should().ContainSingle("one segment, one notification");
        var (state, segmentsSentBefore, read) = observer.Readable[0];
        state.Should().Be(TcpState.CloseWait, "the FIN was processed before the application was told");
        segmentsSentBefore.Should().Be(sentBefore, "the callback runs before the segment's own output");
        read.Should().Be(1000);
        var ack = Peer.Next();
        ack.Flags.Should().Be(TcpFlags.Ack);
        ack.Ack.Should().Be(P(1001), "the one ACK covers the data and the FIN");
        ack.Window.Should().Be(1999, "it advertises the window the read opened (the FIN took one sequence number)");
        Peer.ExpectNothing();
    }

    [Test]
    public void A_pending_stream_read_completes_and_only_the_fins_ack_is_sent()
    {
        EstablishPassive(SmallBuffer());
        var buffer = new byte[4000];
        var read = Stream.ReadAsync(buffer).AsTask();
        read.IsCompleted.Should().BeFalse();

        Peer.Send(TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin, P(0), HostIsn + 1, payload: Bytes(1000));

        var ack = Peer.Next();
        ack.Flags.Should().Be(TcpFlags.Ack);
        ack.Ack.Should().Be(P(1001));
        Peer.ExpectNothing();
        Peer.RunFor(Duration.Zero);
        read.Wait(TimeSpan.FromSeconds(5)).Should().BeTrue();
        read.Result.Should().Be(1000);
        buffer.AsSpan(0, 1000).ToArray().Should().Equal(Bytes(1000));
        Conn.State.Should().Be(TcpState.CloseWait);
    }

    [Test]
    public void Data_alone_is_notified_once_per_segment_before_the_ack()
    {
        EstablishPassive(SmallBuffer());
        var observer = new ReadingObserver { Peer = Peer };
        Conn.Observer = observer;

        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(0), HostIsn + 1, payload: Bytes(1000));

        observer.Readable.Should().ContainSingle();
        observer.Readable[0].State.Should().Be(TcpState.Established);
        observer.Readable[0].Read.Should().Be(1000);
        var update = Peer.Next();
        update.Ack.Should().Be(P(1000));
        update.Window.Should().Be(2000, "the read in the callback opened the window before the segment's output");
        Peer.ExpectNothing();
    }
}
