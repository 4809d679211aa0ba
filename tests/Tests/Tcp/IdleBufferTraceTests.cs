using FluentAssertions;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>An idle connection holds no send or receive ring (issue 15: bytes per idle connection): the send ring goes
/// back to the pool once the peer has acknowledged every byte, the receive ring once the application has read every
/// byte and no out-of-order data is held; the next byte either way rents one again, and the stream is intact.</summary>
public class IdleBufferTraceTests : TraceTestBase
{
    private static uint H(int offset) => unchecked(HostIsn + 1 + (uint)offset);
    private static uint P(int offset) => unchecked(PeerIsn + 1 + (uint)offset);

    [Test]
    public void The_send_ring_is_returned_when_everything_is_acknowledged_and_rented_again_by_the_next_write()
    {
        EstablishPassive();
        Conn.BufferMemoryHeld.Should().Be(0, "nothing was written or received yet");

        Stream.Write(Bytes(300, seed: 1));
        Conn.BufferMemoryHeld.Should().BeGreaterThanOrEqualTo(Conn.BytesUnacknowledgedOrUnsent).And.BeGreaterThan(0);
        var first = Peer.Next();
        first.Payload.ToArray().Should().Equal(Bytes(300, seed: 1));
        Peer.Send(TcpFlags.Ack, P(0), H(200));
        Peer.RunFor(Duration.Zero);
        Conn.BufferMemoryHeld.Should().BeGreaterThan(0, "100 bytes are still unacknowledged");
        Peer.Send(TcpFlags.Ack, P(0), H(300));
        Peer.RunFor(Duration.Zero);
        Conn.BytesUnacknowledgedOrUnsent.Should().Be(0);
        Conn.BufferMemoryHeld.Should().Be(0, "every byte is acknowledged: the ring is back in the pool");

        Stream.Write(Bytes(500, seed: 2));
        Conn.BufferMemoryHeld.Should().BeGreaterThan(0, "the next write rents a ring again");
        var second = Peer.Next();
        second.Seq.Should().Be(H(300));
        second.Payload.ToArray().Should().Equal(Bytes(500, seed: 2), "the re-rented ring carries the new bytes, not stale ones");
        Peer.Send(TcpFlags.Ack, P(0), H(800));
        Peer.RunFor(Duration.Zero);
        Conn.BufferMemoryHeld.Should().Be(0);
    }

    [Test]
    public void The_receive_ring_is_returned_when_everything_is_read_but_not_while_out_of_order_data_waits()
    {
        EstablishPassive(synOptions: ScriptedPeer.Opts(mss: 1460, sackOk: true));
        var buffer = new byte[2000];

        Peer.Send(TcpFlags.Ack | TcpFlags.Psh, P(0), H(0), payload: Bytes(400, seed: 3));
        Peer.RunFor(Duration.Zero);
        Conn.BufferMemoryHeld.Should().BeGreaterThan(0, "received bytes wait in the ring");
        Stream.Read(buffer.AsSpan(0, 100)).Should().Be(100);
        Conn.BufferMemoryHeld.Should().BeGreaterThan(0, "300 bytes are still unread");
        Stream.Read(buffer).Should().Be(300);
        Conn.BufferMemoryHeld.Should().Be(0, "everything was read: the ring is back in the pool");

        // Data beyond a hole: nothing readable, yet the ring must stay to hold it in place.
        Peer.Send(TcpFlags.Ack, P(600), H(0), payload: Bytes(200, seed: 4));
        Peer.Next().Ack.Should().Be(P(400), "a duplicate ACK for the hole");
        Conn.BytesToRead.Should().Be(0);
        Conn.BufferMemoryHeld.Should().BeGreaterThan(0, "out-of-order data is held in the ring");
        Peer.Send(TcpFlags.Ack, P(400), H(0), payload: Bytes(200, seed: 5));
        Peer.Next().Ack.Should().Be(P(800), "the hole filled");
        Stream.Read(buffer).Should().Be(400);
        buffer.Take(200).Should().Equal(Bytes(200, seed: 5));
        buffer.Skip(200).Take(200).Should().Equal(Bytes(200, seed: 4));
        Conn.BufferMemoryHeld.Should().Be(0);
    }
}
