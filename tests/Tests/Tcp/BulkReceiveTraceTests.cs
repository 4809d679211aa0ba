using FluentAssertions;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>The receiver's side of a bulk transfer as the live host runs it (issue 15, TSO on a tap): the receive
/// buffer grows while the application keeps up and the window holds the sender back
/// (<see cref="TcpSettings.ReceiveBufferMaxSize"/>), and ACKs wait for the application's read instead of shrinking
/// the window (<see cref="TcpSettings.DeferAckUntilRead"/>). Both are off by default.</summary>
public class BulkReceiveTraceTests : TraceTestBase
{
    private const int Buffer = 64 * 1024;
    private const int Segment = 8192; // a coalesced or offloaded segment of several MSS

    private static uint H(int offset) => unchecked(HostIsn + 1 + (uint)offset);
    private static uint P(int offset) => unchecked(PeerIsn + 1 + (uint)offset);

    private void Establish(TcpSettings settings) =>
        EstablishPassive(Plain(settings), synOptions: ScriptedPeer.Opts(mss: 1460, ws: 7));

    /// <summary>The window the ACK offers, in bytes.</summary>
    private int WindowOf(SentSegment ack) => ack.Window << Conn.ReceiveShift;

    /// <summary>The peer sends <paramref name="bytes"/> from <paramref name="offset"/> in 8 KB segments.</summary>
    private void SendData(int offset, int bytes)
    {
        for (int sent = 0; sent < bytes; sent += Segment)
            Peer.Send(TcpFlags.Ack, P(offset + sent), H(0), payload: Bytes(Math.Min(Segment, bytes - sent), offset + sent));
        Peer.RunFor(Duration.Zero);
    }

    private void ReadAll(int expected)
    {
        var buffer = new byte[expected + 1];
        int total = 0;
        while (Conn.BytesToRead > 0) total += Stream.Read(buffer.AsSpan(total));
        total.Should().Be(expected);
    }

    [Test]
    public void The_buffer_doubles_up_to_its_limit_while_the_peer_fills_the_window_and_the_reader_keeps_up()
    {
        Establish(new TcpSettings { ReceiveBufferSize = Buffer, ReceiveBufferMaxSize = 4 * Buffer, DelayedAck = false });
        Conn.ReceiveShift.Should().Be(3, "the window scale covers the largest buffer, 256 KB");
        int offset = 0;
        foreach (int expected in new[] { 2 * Buffer, 4 * Buffer, 4 * Buffer })
        {
            int window = Conn.ReceiveBufferCapacity;
            SendData(offset, window);
            offset += window;
            Peer.TakeAll().Last().Window.Should().Be(0, "the peer filled the whole window");
            ReadAll(window);
            Conn.ReceiveBufferCapacity.Should().Be(expected);
            var update = Peer.TakeAll().Last();
            update.Ack.Should().Be(P(offset));
            WindowOf(update).Should().Be(expected, "the window update offers the grown buffer");
        }
    }

    [Test]
    public void The_buffer_stays_when_the_window_was_not_filled_or_the_reader_falls_behind()
    {
        Establish(new TcpSettings { ReceiveBufferSize = Buffer, ReceiveBufferMaxSize = 4 * Buffer, DelayedAck = false });
        SendData(0, Buffer / 2);
        ReadAll(Buffer / 2);
        Conn.ReceiveBufferCapacity.Should().Be(Buffer, "half the window was used: the window did not limit the peer");

        // The peer fills the window, but the application reads only part of it before more arrives.
        SendData(Buffer / 2, Buffer);
        var part = new byte[Buffer / 4];
        Stream.Read(part).Should().Be(part.Length);
        Conn.ReceiveBufferCapacity.Should().Be(Buffer, "the reader has not caught up");
    }

    [Test]
    public void The_buffer_doubles_when_the_application_reads_more_than_half_of_it_within_one_round_trip()
    {
        // Timestamps on: the receiver times its RTT by the age of the TSval the peer echoes on data.
        EstablishPassive(Plain(new TcpSettings { ReceiveBufferSize = Buffer, ReceiveBufferMaxSize = 4 * Buffer, DelayedAck = false })
            with { Timestamps = true }, synOptions: ScriptedPeer.Opts(mss: 1460, ws: 7, tsVal: 1));
        var rtt = Duration.FromMilliseconds(2);
        int offset = 0;
        uint tsVal = 2, echo = Peer.Sent[0].Options.TsVal; // the SYN-ACK's
        // Each round trip the peer sends `bytes` (never the whole window, so the window-filled rule stays out of it),
        // echoing the TSval of our latest ACK, and the application reads it all.
        void RoundTrip(int bytes)
        {
            if (Peer.TakeAll() is [.., var ack]) echo = ack.Options.TsVal;
            Peer.RunFor(rtt);
            for (int sent = 0; sent < bytes; sent += Segment)
                Peer.Send(TcpFlags.Ack, P(offset + sent), H(0), options: ScriptedPeer.Opts(tsVal: tsVal++, tsEcr: echo),
                    payload: Bytes(Math.Min(Segment, bytes - sent), offset + sent));
            Peer.RunFor(Duration.Zero);
            ReadAll(bytes);
            offset += bytes;
        }
        for (int i = 0; i < 4; i++) RoundTrip(Buffer / 2);
        Conn.ReceiveBufferCapacity.Should().Be(Buffer, "half the buffer per round trip: the window holds two of them");
        for (int i = 0; i < 3; i++) RoundTrip(Buffer / 2 + 2 * Segment);
        Conn.ReceiveBufferCapacity.Should().Be(2 * Buffer, "more than half the buffer was read in one round trip");
    }

    [Test]
    public void Without_a_limit_the_buffer_never_grows()
    {
        Establish(new TcpSettings { ReceiveBufferSize = Buffer, DelayedAck = false });
        SendData(0, Buffer);
        ReadAll(Buffer);
        Conn.ReceiveBufferCapacity.Should().Be(Buffer);
    }

    [Test]
    public void Acks_that_would_shrink_the_window_wait_for_the_read_which_sends_one()
    {
        Establish(new TcpSettings { ReceiveBufferSize = 4 * Buffer, DeferAckUntilRead = true });
        SendData(0, Segment);
        Peer.Next().Ack.Should().Be(P(Segment), "the window it offers is larger than the SYN-ACK's: nothing shrinks");
        ReadAll(Segment);
        Peer.ExpectNothing(); // nothing owed, and the 248 KB offered is more than half the buffer

        SendData(Segment, 4 * Segment);
        Peer.Next().Ack.Should().Be(P(2 * Segment), "everything before was read: the window offered stays at 248 KB");
        Peer.ExpectNothing(); // the next three are unread: an ACK now would offer a smaller window
        ReadAll(4 * Segment);
        var ack = Peer.Next();
        ack.Ack.Should().Be(P(5 * Segment), "one ACK for the rest of the batch, sent by the read");
        WindowOf(ack).Should().Be(4 * Buffer);
        Peer.ExpectNothing();

        // Unread data shrinks the window again, so the next segment's ACK waits for the next read too.
        SendData(5 * Segment, Segment);
        Peer.ExpectNothing();
        ReadAll(Segment);
        Peer.Next().Ack.Should().Be(P(6 * Segment));
        Peer.ExpectNothing();
    }

    [Test]
    public void A_read_sends_no_window_update_until_the_offered_window_has_halved_and_would_double()
    {
        Establish(new TcpSettings { ReceiveBufferSize = 4 * Buffer, DeferAckUntilRead = true });
        // Three quarters of the buffer arrive; nobody reads, so the delayed-ACK timer acknowledges it (all but the
        // first segment, whose ACK offered more than the SYN-ACK's 64 KB).
        SendData(0, 3 * Buffer);
        Peer.Next().Ack.Should().Be(P(Segment));
        Peer.ExpectNothing();
        Peer.RunFor(new TcpSettings().DelayedAckTimeout);
        var delayed = Peer.Next();
        delayed.Ack.Should().Be(P(3 * Buffer));
        WindowOf(delayed).Should().Be(Buffer);

        var piece = new byte[Buffer / 2];
        Stream.Read(piece).Should().Be(piece.Length);
        Peer.ExpectNothing(); // 96 KB on offer would not double the 64 KB offered
        Stream.Read(piece).Should().Be(piece.Length);
        var update = Peer.Next();
        update.Ack.Should().Be(P(3 * Buffer));
        WindowOf(update).Should().Be(2 * Buffer, "the window doubled: worth an update");
    }

    [Test]
    public void Without_deferral_every_second_full_segment_is_acknowledged_and_every_read_updates_the_window()
    {
        Establish(new TcpSettings { ReceiveBufferSize = 4 * Buffer });
        SendData(0, 2 * Segment);
        Peer.TakeAll().Should().HaveCount(2, "each 8 KB segment completes two full segments");
        var piece = new byte[Segment];
        Stream.Read(piece).Should().Be(Segment);
        Peer.Next().Ack.Should().Be(P(2 * Segment), "a window update after the read");
    }
}
