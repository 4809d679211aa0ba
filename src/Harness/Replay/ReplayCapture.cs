using SharpPcap;
using SharpPcap.LibPcap;
using Netstack.Harness.Trace;
using Netstack.Simulation.Capture;

namespace Netstack.Harness.Replay;

/// <summary>The frames of a capture to replay, with their timestamps relative to the first frame.</summary>
public static class ReplayCapture
{
    /// <summary>Throws <see cref="ReplayInputException"/> for a missing, unreadable, truncated or corrupt file
    /// (with the byte offset <see cref="CaptureFileReader"/> reports) and for an empty one.</summary>
    public static List<ReplayFrame> Load(string path)
    {
        if (!File.Exists(path)) throw new ReplayInputException($"{path}: no such capture file");
        List<byte[]> bytes;
        try
        {
            bytes = CaptureFileReader.ReadFrames(path); // validates the whole file and locates damage
        }
        catch (FormatException e)
        {
            throw new ReplayInputException($"{path}: {e.Message}");
        }
        if (bytes.Count == 0) throw new ReplayInputException($"{path}: the capture holds no frames");
        var times = LibpcapGuard.Run(() =>
        {
            var list = new List<long>(bytes.Count);
            using var device = new CaptureFileReaderDevice(path);
            device.Open(new DeviceConfiguration { TimestampResolution = TimestampResolution.Nanosecond });
            if (device.LinkType != PacketDotNet.LinkLayers.Ethernet)
                throw new ReplayInputException($"{path}: link type {device.LinkType} is not Ethernet (capture on an Ethernet interface, not 'any')");
            while (list.Count < bytes.Count && device.GetNextPacket(out var capture) == GetPacketStatus.PacketRead)
            {
                var raw = capture.GetPacket();
                // A frame cut by the snapshot length cannot be injected as it was sent.
                if (capture.Header is PcapHeader header && header.PacketLength > header.CaptureLength)
                    throw new ReplayInputException($"{path}: frame {list.Count + 1} was captured truncated ({header.CaptureLength} of {header.PacketLength} bytes; record with -s 0)");
                list.Add((long)(raw.Timeval.Value * 1_000_000_000m));
            }
            return list;
        });
        var frames = new List<ReplayFrame>(bytes.Count);
        for (int i = 0; i < bytes.Count; i++)
            frames.Add(new ReplayFrame(i + 1, times[i] - times[0], bytes[i]));
        return frames;
    }
}

/// <summary>Bad input to a replay (file, address, arguments): reported as one line, exit 2.</summary>
public sealed class ReplayInputException(string message) : Exception(message);
