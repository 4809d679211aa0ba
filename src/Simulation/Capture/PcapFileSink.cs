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

    // Reused for every frame: SharpPcap's header and timeval are classes, so a fresh pair per frame
    // would cost ~100 bytes of garbage each. libpcap copies the header out during the write.
    private readonly PcapHeader _header = new(0, 0, 0, 0) { Timeval = new PosixTimeval() };

    public PcapFileSink(string path, long epochSeconds = Epoch)
    {
        Path = path;
        EpochUnixNanoseconds = epochSeconds * 1_000_000_000;
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

    /// <summary>The Unix time, in nanoseconds, that the clock's zero is written as (settable until the first frame,
    /// for a real-time clock whose zero is fixed when the world is ready).</summary>
    public long EpochUnixNanoseconds { get; set; }
    public long FramesWritten { get; private set; }

    public void Write(Instant time, ReadOnlySpan<byte> frame, in FrameContext context)
    {
        // The timeval holds seconds as a decimal; nanoseconds since the Unix epoch with scale 9 is that
        // value exactly, built without decimal division.
        long unixNs = EpochUnixNanoseconds + time.Nanoseconds;
        _header.Timeval.Value = new decimal((int)unixNs, (int)(unixNs >> 32), 0, false, 9);
        _header.PacketLength = (uint)frame.Length;
        _header.CaptureLength = (uint)frame.Length;
        var header = _header;
        _device.Write(frame, ref header);
        FramesWritten++;
    }

    public void Dispose() => _device.Close();
}
