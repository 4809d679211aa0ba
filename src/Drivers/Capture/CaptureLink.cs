using Netstack.Link;
using Netstack.Time;

namespace Netstack.Drivers.Capture;

[Flags]
public enum CaptureDirections
{
    Outbound = 1,
    Inbound = 2,
    Both = Outbound | Inbound,
}

/// <summary>A link decorator that copies every frame passing through to a sink, timestamped by the
/// scheduler's clock (virtual time in simulation, real time live). The stack cannot tell it is there.</summary>
public sealed class CaptureLink : ILink, IFrameReceiver
{
    private readonly ILink _inner;
    private readonly IScheduler _clock;
    private readonly IFrameSink _sink;
    private readonly CaptureDirections _directions;
    private readonly string _host;
    private IFrameReceiver? _receiver;

    public CaptureLink(ILink inner, IScheduler clock, IFrameSink sink, string host,
        CaptureDirections directions = CaptureDirections.Both)
    {
        _inner = inner;
        _clock = clock;
        _sink = sink;
        _host = host;
        _directions = directions;
        inner.Attach(this);
    }

    public int Mtu => _inner.Mtu;

    public void Attach(IFrameReceiver receiver) => _receiver = receiver;

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        if ((_directions & CaptureDirections.Outbound) != 0)
            _sink.Write(_clock.Now, frame, new FrameContext(_host, FrameDirection.Outbound));
        _inner.Transmit(frame);
    }

    public void ReceiveFrame(ReadOnlySpan<byte> frame) => ReceiveFrame(frame, transportChecksumVerified: false);

    public void ReceiveFrame(ReadOnlySpan<byte> frame, bool transportChecksumVerified)
    {
        if ((_directions & CaptureDirections.Inbound) != 0)
            _sink.Write(_clock.Now, frame, new FrameContext(_host, FrameDirection.Inbound));
        _receiver?.ReceiveFrame(frame, transportChecksumVerified);
    }
}
