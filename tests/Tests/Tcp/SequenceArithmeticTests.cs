using FluentAssertions;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Tcp;

/// <summary>The building blocks on their own: modular sequence numbers, the RFC 6298 estimator, the
/// options codec, the receive buffer's reassembly and the SACK scoreboard.</summary>
public class SequenceArithmeticTests
{
    private static SequenceNumber S(uint v) => new(v);

    [Test]
    public void Comparisons_hold_across_wraparound()
    {
        var high = S(0xFFFF_FFF0);
        var low = high + 0x20; // wrapped to 0x10
        low.Value.Should().Be(0x10);
        (low > high).Should().BeTrue();
        (high < low).Should().BeTrue();
        (low - high).Should().Be(0x20);
        (high - low).Should().Be(-0x20);
        S(5).InRange(high, low).Should().BeTrue();
        S(0x20).InRange(high, low).Should().BeFalse();
        SequenceNumber.Max(high, low).Should().Be(low);
        (S(0) - 1).Value.Should().Be(uint.MaxValue);
    }

    [Test]
    public void Rto_follows_rfc_6298_with_min_max_and_backoff()
    {
        var rto = new RtoEstimator(Duration.FromSeconds(1), Duration.FromMilliseconds(200), Duration.FromSeconds(60));
        rto.Rto.Should().Be(Duration.FromSeconds(1));
        rto.AddSample(Duration.FromMilliseconds(100));
        rto.SmoothedRtt.Should().Be(Duration.FromMilliseconds(100));
        rto.RttVariance.Should().Be(Duration.FromMilliseconds(50));
        rto.Rto.Should().Be(Duration.FromMilliseconds(300)); // 100 + 4*50
        rto.AddSample(Duration.FromMilliseconds(200));
        rto.RttVariance.Should().Be(Duration.FromMilliseconds(62.5)); // 3/4*50 + 1/4*100
        rto.SmoothedRtt.Should().Be(Duration.FromMilliseconds(112.5)); // 7/8*100 + 1/8*200
        rto.Rto.Should().Be(Duration.FromMilliseconds(362.5));
        for (int i = 0; i < 10; i++) rto.Backoff();
        rto.Rto.Should().Be(Duration.FromSeconds(60));
        rto.AddSample(Duration.FromMilliseconds(1));
        rto.Rto.Should().BeGreaterThanOrEqualTo(Duration.FromMilliseconds(200));
    }

    [Test]
    public void Options_round_trip_and_malformed_areas_are_rejected()
    {
        var o = TcpHeaderOptions.None;
        o.Mss = 1460;
        o.WindowScale = 7;
        o.SackPermitted = true;
        o.HasTimestamp = true;
        o.TsVal = 123;
        o.TsEcr = 456;
        var bytes = new byte[o.Length];
        o.Write(bytes).Should().Be(20);
        bytes.Should().Equal(2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 123, 0, 0, 1, 200, 1, 3, 3, 7);
        TcpHeaderOptions.TryParse(bytes, out var back).Should().BeTrue();
        back.Mss.Should().Be(1460);
        back.WindowScale.Should().Be(7);
        back.SackPermitted.Should().BeTrue();
        back.TsVal.Should().Be(123);
        back.TsEcr.Should().Be(456);

        TcpHeaderOptions.TryParse(new byte[] { 2, 4, 5 }, out _).Should().BeFalse("MSS runs past the end");
        TcpHeaderOptions.TryParse(new byte[] { 99, 1, 0, 0 }, out _).Should().BeFalse("length below 2");
        TcpHeaderOptions.TryParse(new byte[] { 99, 4, 0, 0, 3, 3, 20, 0 }, out var unknown).Should().BeTrue();
        unknown.WindowScale.Should().Be(14, "RFC 7323: shifts above 14 are taken as 14");
    }

    [Test]
    public void Receive_buffer_reassembles_out_of_order_data_in_place_across_wraparound()
    {
        var buffer = new ReceiveBuffer(1000, 4) { Next = S(0xFFFF_FFF0) };
        byte[] Data(int start, int n) => Enumerable.Range(start, n).Select(i => (byte)i).ToArray();
        buffer.Write(S(0xFFFF_FFF0) + 100, Data(100, 50)).Should().Be(ReceiveBuffer.WriteResult.OutOfOrder);
        buffer.Write(S(0xFFFF_FFF0) + 200, Data(200, 50)).Should().Be(ReceiveBuffer.WriteResult.OutOfOrder);
        buffer.Write(S(0xFFFF_FFF0) + 140, Data(140, 70)).Should().Be(ReceiveBuffer.WriteResult.OutOfOrder);
        buffer.OutOfOrderRanges.Should().Be(1, "the middle segment bridged the two ranges");
        buffer.Readable.Should().Be(0);
        buffer.Write(S(0xFFFF_FFF0), Data(0, 100)).Should().Be(ReceiveBuffer.WriteResult.FilledHole);
        buffer.Readable.Should().Be(250);
        buffer.Next.Should().Be(S(0xFFFF_FFF0) + 250);
        var read = new byte[300];
        buffer.Read(read).Should().Be(250);
        read.Take(250).Should().Equal(Data(0, 250));
    }

    [Test]
    public void Receive_buffer_hands_out_readable_bytes_in_place_in_two_pieces_where_the_ring_wraps()
    {
        var buffer = new ReceiveBuffer(1000, 4) { Next = S(0) };
        byte[] Data(int start, int n) => Enumerable.Range(start, n).Select(i => (byte)i).ToArray();
        buffer.Write(S(0), Data(0, 800));
        buffer.Read(new byte[700]).Should().Be(700);
        buffer.Write(S(800), Data(800, 600)).Should().Be(ReceiveBuffer.WriteResult.InOrder);
        buffer.PeekInPlace(int.MaxValue, out var first, out var second);
        second.Length.Should().BeGreaterThan(0, "the 700 readable bytes run past the end of the ring");
        first.ToArray().Concat(second.ToArray()).Should().Equal(Data(700, 700));
        buffer.PeekInPlace(50, out first, out second);
        first.ToArray().Should().Equal(Data(700, 50));
        second.Length.Should().Be(0);
        buffer.Skip(650);
        buffer.Readable.Should().Be(50);
        var rest = new byte[100];
        buffer.Read(rest).Should().Be(50);
        rest.Take(50).Should().Equal(Data(1350, 50));
        buffer.MemoryHeld.Should().Be(0, "a drained buffer returns its array");
    }

    [Test]
    public void Receive_buffer_bounds_the_out_of_order_ranges()
    {
        var buffer = new ReceiveBuffer(10_000, 2) { Next = S(0) };
        buffer.Write(S(100), new byte[10]).Should().Be(ReceiveBuffer.WriteResult.OutOfOrder);
        buffer.Write(S(200), new byte[10]).Should().Be(ReceiveBuffer.WriteResult.OutOfOrder);
        buffer.Write(S(300), new byte[10]).Should().Be(ReceiveBuffer.WriteResult.QueueFull);
        buffer.Write(S(110), new byte[10]).Should().Be(ReceiveBuffer.WriteResult.OutOfOrder, "extending a range needs no new slot");
    }

    [Test]
    public void Scoreboard_computes_loss_and_pipe_per_rfc_6675()
    {
        const int mss = 100;
        var una = S(0xFFFF_FF00);
        var sb = new SackScoreboard(8);
        // Segments 0..9 sent; 1..2 and 4..6 SACKed.
        sb.Add(una + 100, una + 300, una, una + 1000).Should().BeTrue();
        sb.Add(una + 400, una + 700, una, una + 1000).Should().BeTrue();
        sb.Add(una + 400, una + 500, una, una + 1000).Should().BeFalse("nothing new");
        sb.IsLost(una, mss).Should().BeTrue("500 bytes SACKed above exceed 2 * MSS");
        sb.IsLost(una + 300, mss).Should().BeTrue("300 bytes above");
        sb.IsLost(una + 700, mss).Should().BeFalse();
        // Holes: [0,100) lost, [300,400) lost, [700,1000) not lost: pipe = 300.
        sb.Pipe(una, una + 1000, una, mss).Should().Be(300);
        // After retransmitting the first hole it counts again.
        sb.Pipe(una, una + 1000, una + 100, mss).Should().Be(400);
        sb.NextHole(una + 100, lostOnly: true, mss, out var start, out var end).Should().BeTrue();
        (start, end).Should().Be((una + 300, una + 400));
        sb.AdvanceTo(una + 450);
        sb.Count.Should().Be(1);
        sb.IsSacked(una + 460).Should().BeTrue();
    }
}

/// <summary>RFC 6528 initial sequence numbers.</summary>
public class IsnGeneratorTests
{
    [Test]
    public void Isn_depends_on_the_tuple_advances_with_the_clock_and_replays_with_the_seed()
    {
        var loop = new Netstack.Drivers.Loops.VirtualEventLoop();
        var a = new IsnGenerator(loop, new Netstack.Time.SeededRandom(9));
        var b = new IsnGenerator(loop, new Netstack.Time.SeededRandom(9));
        var other = new IsnGenerator(loop, new Netstack.Time.SeededRandom(10));
        var x = Ipv4Address.Parse("10.0.0.1");
        var y = Ipv4Address.Parse("10.0.0.2");
        uint first = a.Next(x, 1000, y, 80);
        b.Next(x, 1000, y, 80).Should().Be(first, "same seed, same secret");
        other.Next(x, 1000, y, 80).Should().NotBe(first, "another secret");
        a.Next(x, 1001, y, 80).Should().NotBe(first, "another tuple");
        loop.RunUntil(Netstack.Time.Instant.FromSeconds(1));
        uint later = a.Next(x, 1000, y, 80);
        unchecked(later - first).Should().Be(250_000u, "M ticks every 4 microseconds");
    }

    [Test]
    public void Timestamp_offset_is_fixed_per_tuple_so_a_new_incarnation_keeps_timestamps_increasing()
    {
        var loop = new Netstack.Drivers.Loops.VirtualEventLoop();
        var a = new IsnGenerator(loop, new Netstack.Time.SeededRandom(9));
        var other = new IsnGenerator(loop, new Netstack.Time.SeededRandom(10));
        var x = Ipv4Address.Parse("10.0.0.1");
        var y = Ipv4Address.Parse("10.0.0.2");
        uint offset = a.TimestampOffset(x, 1000, y, 80);
        loop.RunUntil(Netstack.Time.Instant.FromSeconds(5));
        a.TimestampOffset(x, 1000, y, 80).Should().Be(offset, "the same four-tuple later: the same offset");
        a.TimestampOffset(x, 1001, y, 80).Should().NotBe(offset, "another tuple");
        other.TimestampOffset(x, 1000, y, 80).Should().NotBe(offset, "another secret");
        offset.Should().NotBe(unchecked(a.Next(x, 1000, y, 80) - 1_250_000u), "not the ISN's hash");
    }
}
