using System.Runtime;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Tap;

namespace Netstack.Harness.Running;

/// <summary>What a run on the tap wire needs around it: the real-time loop, Ctrl-C and SIGTERM turned into an
/// orderly stop, and a garbage collector that keeps its pauses short while the wire does not wait.</summary>
public sealed class RealWireSession : IDisposable
{
    private readonly GCLatencyMode _latencyMode = GCSettings.LatencyMode;

    public RealWireSession()
    {
        Loop = new RealTimeEventLoop();
        GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
        Interruption = new Interruption(Loop);
    }

    public RealTimeEventLoop Loop { get; }
    public Interruption Interruption { get; }

    /// <summary>Time zero is when the world is ready (the namespace and tap take a while to make).</summary>
    public void StartClock(PcapFileSink? pcap)
    {
        // Collect now rather than during the run: a blocking collection is milliseconds the wire does not wait for.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Loop.ZeroClockNow();
        if (pcap is not null) pcap.EpochUnixNanoseconds = Loop.EpochUnixNanoseconds;
    }

    public void Dispose()
    {
        GCSettings.LatencyMode = _latencyMode;
        Interruption.Dispose();
        Loop.Dispose();
    }
}
