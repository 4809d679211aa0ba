using Netstack.Link;
using Netstack.Time;

namespace Netstack.Drivers.Segments;

/// <summary>One host's connection to a <see cref="VirtualSegment"/>: the link the host's stack sees.</summary>
public sealed class VirtualPort : ILink
{
    private readonly VirtualSegment _segment;
    private IFrameReceiver? _receiver;

    internal VirtualPort(VirtualSegment segment, string name)
    {
        _segment = segment;
        Name = name;
    }

    public string Name { get; }
    public int Mtu => _segment.Options.Mtu;
    /// <summary>When the port finishes serializing what it has already sent.</summary>
    internal Instant BusyUntil { get; set; }
    /// <summary>False while the link is down: frames sent or arriving are lost.</summary>
    public bool IsUp { get; set; } = true;
    public long FramesLostWhileDown { get; private set; }

    public void Attach(IFrameReceiver receiver) => _receiver = receiver;

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        if (!IsUp)
        {
            FramesLostWhileDown++;
            return;
        }
        _segment.Transmit(this, frame);
    }

    internal void Deliver(ReadOnlySpan<byte> frame)
    {
        if (!IsUp)
        {
            FramesLostWhileDown++;
            return;
        }
        _receiver?.ReceiveFrame(frame);
    }

    public override string ToString() => Name;
}
