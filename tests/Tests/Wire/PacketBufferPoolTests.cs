using FluentAssertions;
using Netstack.Buffers;
using NUnit.Framework;

namespace Netstack.Tests.Wire;

public class PacketBufferPoolTests
{
    [Test]
    public void A_returned_frame_sized_buffer_is_handed_out_again_with_its_array_and_fresh_bounds()
    {
        var pool = new PacketBufferPool();
        var first = pool.Rent(1500);
        first.Append(100).Fill(0xAA);
        first.Prepend(14);
        var array = first.Array;
        first.Dispose();
        pool.Outstanding.Should().Be(0);

        var again = pool.Rent(20, headroom: 40);
        again.Should().BeSameAs(first);
        again.Array.Should().BeSameAs(array);
        (again.Start, again.Length).Should().Be((40, 0));
        pool.Outstanding.Should().Be(1);
    }

    [Test]
    public void Buffers_larger_than_a_frame_come_from_the_array_pool_and_go_back_to_it()
    {
        var pool = new PacketBufferPool();
        var big = pool.Rent(9000);
        big.Capacity.Should().BeGreaterThanOrEqualTo(9000 + PacketBuffer.DefaultHeadroom);
        big.Append(9000);
        big.Dispose();
        big.Capacity.Should().Be(0, "the large array went back to the shared pool");

        var small = pool.Rent(100);
        small.Capacity.Should().Be(PacketBufferPool.StandardArrayLength);
    }

    [Test]
    public void Every_rented_buffer_has_the_room_asked_for()
    {
        var pool = new PacketBufferPool();
        var rented = new List<PacketBuffer>();
        foreach (var (payload, headroom) in new[] { (0, 0), (1, 160), (1888, 160), (1889, 160), (4000, 60), (65535, 160) })
        {
            var b = pool.Rent(payload, headroom);
            b.Start.Should().Be(headroom);
            b.Append(payload).Length.Should().Be(payload);
            b.Prepend(headroom);
            rented.Add(b);
        }
        foreach (var b in rented) b.Dispose();
        pool.Outstanding.Should().Be(0);
    }

    [Test]
    public void Returning_twice_is_harmless()
    {
        var pool = new PacketBufferPool();
        var b = pool.Rent(10);
        b.Dispose();
        b.Dispose();
        pool.Outstanding.Should().Be(0);
        var x = pool.Rent(10);
        var y = pool.Rent(10);
        x.Should().NotBeSameAs(y);
    }
}
