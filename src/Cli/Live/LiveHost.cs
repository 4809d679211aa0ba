using Netstack.Link;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Tap;
using Netstack.Time;

namespace Netstack.Cli.Live;

/// <summary>Our stack on a real TAP device: the real-time loop, the tap link (wrapped in a recorder when
/// asked), and the same <see cref="NetworkStack"/> the simulation drives.</summary>
public sealed class LiveHost : IDisposable
{
    private readonly PcapFileSink? _recording;
    private readonly FrameFaultLog? _faults;

    public LiveHost(TapOptions options)
    {
        Options = options;
        Loop = new RealTimeEventLoop();
        try
        {
            // A recording keeps the frames as the kernel sent them, so a recorded session is not coalesced; it needs
            // the checksums the kernel left to us (with --offload) filled in, the stack alone does not.
            Tap = new TapLink(Loop, options.Device, options.Mtu, options.Offload,
                coalesce: options.Coalesce && options.RecordPath is null, completeChecksums: options.RecordPath is not null);
            ILink link = Tap;
            if (options.RecordPath is not null)
            {
                _recording = new PcapFileSink(options.RecordPath, Loop.EpochUnixSeconds);
                link = new CaptureLink(Tap, Loop, _recording, options.Device);
            }
            Stack = new NetworkStack(Loop, new SeededRandom((ulong)Random.Shared.NextInt64()), LiveStackOptions,
                options.Device);
            Interface = Stack.AddInterface(link, options.Mac ?? TapOptions.RandomMac(), options.Address, options.Mtu,
                options.Device);
            if (options.Gateway is { } gateway) Stack.AddDefaultGateway(gateway);
            // A frame the stack fails on is dropped, logged once and kept for a test; the host lives on.
            _faults = new FrameFaultLog(Loop, Console.Error, () => new PcapFileSink(FaultCapturePath, Loop.EpochUnixSeconds));
            Stack.FrameFaultObserver = _faults;
            Loop.FaultObserver = error =>
            {
                if (Loop.Faults == 1) Console.Error.WriteLine($"event loop fault (further ones only counted): {error}");
            };
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>On a real LAN the peer is usually Linux, whose retransmission timeout floor is 200 ms
    /// (TCP_RTO_MIN); RFC 6298's 1 s floor would make every lost tail segment cost a second. As Linux, the receive
    /// buffer grows with a reader that keeps up (a 256 KB window held a TSO sender back 86% of the time, `ss -ti`
    /// rwnd_limited), and ACKs wait for the application's read rather than shrink the window (two ACKs per 64 KB
    /// segment before: half of this process's kernel time was the kernel taking them).</summary>
    public static readonly StackOptions LiveStackOptions = new()
    {
        Tcp = new Netstack.Transport.Tcp.TcpSettings
        {
            MinRto = Duration.FromMilliseconds(200),
            ReceiveBufferMaxSize = 4 * 1024 * 1024,
            DeferAckUntilRead = true,
        },
    };

    public TapOptions Options { get; }
    public RealTimeEventLoop Loop { get; }
    public TapLink Tap { get; } = null!;
    public NetworkStack Stack { get; } = null!;
    public NetworkInterface Interface { get; } = null!;
    public long FramesRecorded => _recording?.FramesWritten ?? 0;

    /// <summary>Where frames the stack failed on are kept: beside the recording, else in the temp directory.</summary>
    public string FaultCapturePath => Options.RecordPath is { } record
        ? record + ".faults.pcap"
        : Path.Combine(Path.GetTempPath(), $"harness-{Options.Device}-{Environment.ProcessId}-faults.pcap");

    public void Dispose()
    {
        _recording?.Dispose();
        _faults?.Dispose();
        Tap?.Dispose();
        Loop.Dispose();
    }
}
