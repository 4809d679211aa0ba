using Netstack.Drivers.Capture;
using Netstack.Time;

namespace Netstack.Harness.Trace;

/// <summary>Sends each captured frame to several sinks (the in-memory log and a capture file).</summary>
public sealed class FanOutSink(params IFrameSink[] sinks) : IFrameSink
{
    public void Write(Instant time, ReadOnlySpan<byte> frame, in FrameContext context)
    {
        foreach (var s in sinks) s.Write(time, frame, context);
    }
}
