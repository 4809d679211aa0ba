using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Time;

namespace Netstack.Drivers.Capture;

/// <summary>What a host program does with a frame the stack failed on: one log line for the first fault (a flood
/// of the same crafted frame must not flood the log), and every faulting frame, up to a cap, kept in a capture so
/// it can become a test. The sink is opened only when the first fault happens.</summary>
public sealed class FrameFaultLog(IScheduler clock, TextWriter log, Func<IFrameSink> openSink, int maxFramesKept = 1000)
    : IFrameFaultObserver, IDisposable
{
    private IFrameSink? _sink;

    public long Faults { get; private set; }
    public long FramesKept { get; private set; }
    public Exception? FirstError { get; private set; }

    public void OnFrameFault(NetworkInterface iface, ReadOnlySpan<byte> frame, Exception error)
    {
        Faults++;
        if (FramesKept < maxFramesKept)
        {
            try
            {
                _sink ??= openSink();
                _sink.Write(clock.Now, frame, new FrameContext(iface.Stack.Name, FrameDirection.Inbound, error.GetType().Name));
                FramesKept++;
            }
            catch (Exception e) when (e is not OutOfMemoryException) // libpcap's own exceptions too: keep serving
            {
                log.WriteLine($"frame fault: cannot keep the frame: {e.Message}");
                maxFramesKept = 0;
            }
        }
        if (Faults > 1) return;
        FirstError = error;
        log.WriteLine($"frame fault on {iface.Name}: {error.GetType().Name}: {error.Message} " +
            $"(frame of {frame.Length} bytes dropped, counted as {DropReason.FrameHandlerFault}; " +
            $"the first {maxFramesKept} such frames are kept{(_sink is PcapFileSink p ? $" in {p.Path}" : "")}; further faults are only counted)");
        log.WriteLine(error.StackTrace);
    }

    public void Dispose() => (_sink as IDisposable)?.Dispose();
}
