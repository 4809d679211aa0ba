using SharpPcap;
using SharpPcap.LibPcap;
using Netstack.Simulation.Capture;

namespace Netstack.Harness.Trace;

/// <summary>Reads the frames of a pcap or pcapng file through libpcap (SharpPcap), for frames a scenario takes
/// from a capture.</summary>
public static class CaptureFileReader
{
    /// <summary>Every frame's bytes, in file order. Throws <see cref="FormatException"/> with libpcap's reason when
    /// the file cannot be read as a capture, and for a classic pcap that is cut short or damaged, the byte offset
    /// where the first unreadable record starts.</summary>
    public static List<byte[]> ReadFrames(string path)
    {
        return LibpcapGuard.Run(() =>
        {
            var frames = new List<byte[]>();
            try
            {
                using var device = new CaptureFileReaderDevice(path);
                device.Open();
                long offset = 24; // classic pcap: file header, then a 16-byte header per record
                while (true)
                {
                    var status = device.GetNextPacket(out var capture);
                    if (status == GetPacketStatus.PacketRead)
                    {
                        frames.Add(capture.Data.ToArray());
                        offset += 16 + capture.Data.Length;
                        continue;
                    }
                    if (status == GetPacketStatus.Error)
                    {
                        var where = IsClassicPcap(path) ? $"at byte {offset} (record {frames.Count + 1})" : $"after frame {frames.Count}";
                        throw new FormatException($"truncated or corrupt {where}: {device.LastError?.Trim()}");
                    }
                    break;
                }
            }
            catch (PcapException e)
            {
                throw new FormatException(e.Message.Trim());
            }
            return frames;
        });
    }

    private static bool IsClassicPcap(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var f = File.OpenRead(path);
        if (f.Read(magic) != 4) return false;
        uint m = BitConverter.ToUInt32(magic);
        return m is 0xa1b2c3d4 or 0xd4c3b2a1 or 0xa1b23c4d or 0x4d3cb2a1;
    }
}
