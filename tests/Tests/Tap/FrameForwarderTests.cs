using FluentAssertions;
using Netstack.Link;
using Netstack.Drivers.Tap;
using NUnit.Framework;

namespace Netstack.Tests.Tap;

/// <summary>The benchmark's baseline wire: frames read on one side are written, unchanged, to the other.</summary>
[TestFixture, Category("Tap")]
public class FrameForwarderTests
{
    private sealed class RecordingLink : ILink
    {
        public IFrameReceiver? Receiver;
        public readonly List<byte[]> Sent = new();
        public int Mtu => 1500;
        public void Transmit(ReadOnlySpan<byte> frame) => Sent.Add(frame.ToArray());
        public void Attach(IFrameReceiver receiver) => Receiver = receiver;
    }

    [Test]
    public void Each_side_receives_exactly_what_the_other_side_read()
    {
        var a = new RecordingLink();
        var b = new RecordingLink();
        var forwarder = new FrameForwarder(a, b);
        a.Receiver!.ReceiveFrame(new byte[] { 1, 2, 3 });
        a.Receiver.ReceiveFrame(new byte[] { 4 });
        b.Receiver!.ReceiveFrame(new byte[] { 5, 6 });

        b.Sent.Should().HaveCount(2);
        b.Sent[0].Should().Equal(1, 2, 3);
        b.Sent[1].Should().Equal(4);
        a.Sent.Should().ContainSingle().Which.Should().Equal(5, 6);
        (forwarder.FramesAToB, forwarder.FramesBToA).Should().Be((2L, 1L));
    }
}
