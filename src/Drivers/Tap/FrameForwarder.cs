using Netstack.Link;

namespace Netstack.Drivers.Tap;

/// <summary>A wire between two links with nothing on it: every frame read from one is written to the
/// other. Run on two taps it measures what the live loop and the tap devices alone can carry, the
/// ceiling a stack on the same loop can be compared against.</summary>
public sealed class FrameForwarder
{
    public FrameForwarder(ILink a, ILink b)
    {
        a.Attach(new Direction(b, this, fromA: true));
        b.Attach(new Direction(a, this, fromA: false));
    }

    public long FramesAToB { get; private set; }
    public long FramesBToA { get; private set; }

    private sealed class Direction(ILink to, FrameForwarder owner, bool fromA) : IFrameReceiver
    {
        public void ReceiveFrame(ReadOnlySpan<byte> frame)
        {
            to.Transmit(frame);
            if (fromA) owner.FramesAToB++;
            else owner.FramesBToA++;
        }
    }
}
