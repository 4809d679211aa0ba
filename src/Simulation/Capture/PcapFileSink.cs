using SharpPcap;
using SharpPcap.LibPcap;
using Netstack.Time;

namespace Netstack.Simulation.Capture;

/// <summary>Writes frames to a classic pcap file through libpcap (SharpPcap), with nanosecond
/// timestamps. Time zero of the clock is written as <see cref="Epoch"/> so captures show a fixed,
/// reproducible date.</summary>
public sealed class PcapFileSink : IFrameSink, IDisposable
{
    /// <summary>2026-01-01T00:00:00Z: the wall-clock date virtual time zero is shown as.</summary>
    public const long Epoch = 1_767_225_600;

    private readonly CaptureFileWriterDevice _device;
    private readonly long _epochSeconds;

    public PcapFileSink(string path, long epochSeconds = Epoch)
    {
        Path = path;
        _epochSeconds = epochSeconds;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        _device = LibpcapGuard.Run(() =>
        {
            var d = new CaptureFileWriterDevice(path, FileMode.Create);
            d.Open(new DeviceConfiguration
            {
                LinkLayerType = PacketDotNet.LinkLayers.Ethernet,
                TimestampResolution = TimestampResolution.Nanosecond,
                Snaplen = 65535,
            });
            return d;
        });
    }

    public string Path { get; }
    public long FramesWritten { get; private set; }

    public void Write(Instant time, ReadOnlySpan<byte> frame, in FrameContext context)
    {
        long ns = time.Nanoseconds;
        var header = new PcapHeader(0, 0, (uint)frame.Length, (uint)frame.Length)
        {
            Timeval = new PosixTimeval((ulong)(_epochSeconds + ns / 1_000_000_000), (ulong)(ns % 1_000_000_000),
                TimestampResolution.Nanosecond),
        };
        _device.Write(frame, ref header);
        FramesWritten++;
    }

    public void Dispose() => _device.Close();
}
