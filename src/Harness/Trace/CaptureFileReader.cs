using SharpPcap;
using SharpPcap.LibPcap;
using Netstack.Drivers.Capture;
using Netstack.Time;

namespace Netstack.Harness.Trace;

/// <summary>Reads the frames of a pcap or pcapng file through libpcap (SharpPcap), for frames a scenario takes
/// from a capture.</summary>
public static class CaptureFileReader
{
    /// <summary>Every frame's bytes, in file order. Throws as <see cref="Read"/> does.</summary>
    public static List<byte[]> ReadFrames(string path) => Read(path).Records.ConvertAll(r => r.Bytes);

    /// <summary>Every record with its timestamp (ns) and original length, in file order, and the link type.
    /// Throws <see cref="FormatException"/> with libpcap's reason when the file cannot be read as a capture,
    /// and for a classic pcap that is cut short or damaged, the byte offset where the first unreadable record
    /// starts.</summary>
    public static CaptureFile Read(string path)
    {
        return LibpcapGuard.Run(() =>
        {
            var records = new List<CaptureRecord>();
            PacketDotNet.LinkLayers linkType;
            try
            {
                using var device = new CaptureFileReaderDevice(path);
                device.Open(new DeviceConfiguration { TimestampResolution = TimestampResolution.Nanosecond });
                linkType = device.LinkType;
                long offset = 24; // classic pcap: file header, then a 16-byte header per record
                while (true)
                {
                    var status = device.GetNextPacket(out var capture);
                    if (status == GetPacketStatus.PacketRead)
                    {
                        var header = (PcapHeader)capture.Header;
                        records.Add(new CaptureRecord(Nanoseconds(header.Timeval, records.Count + 1),
                            (int)header.PacketLength, capture.Data.ToArray()));
                        offset += 16 + capture.Data.Length;
                        continue;
                    }
                    if (status == GetPacketStatus.Error)
                    {
                        var where = IsClassicPcap(path) ? $"at byte {offset} (record {records.Count + 1})" : $"after frame {records.Count}";
                        throw new FormatException($"truncated or corrupt {where}: {device.LastError?.Trim()}");
                    }
                    break;
                }
            }
            catch (PcapException e)
            {
                throw new FormatException(e.Message.Trim());
            }
            return new CaptureFile(linkType, records);
        });
    }

    /// <summary>A record's time in nanoseconds since the Unix epoch. Times past 2262 (2^63 ns) do not fit: a huge
    /// ts_sec, or a pcapng if_tsoffset near 2^63 that libpcap adds in, is reported rather than wrapped.</summary>
    private static long Nanoseconds(PosixTimeval time, int record)
    {
        decimal ns = time.Value * Duration.NanosecondsPerSecond;
        if (ns is < 0 or >= long.MaxValue)
            throw new FormatException($"record {record}: timestamp {time.Seconds} s is out of range (after the year 2262)");
        return (long)ns;
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

/// <summary>A capture file's link type and records.</summary>
public sealed record CaptureFile(PacketDotNet.LinkLayers LinkType, List<CaptureRecord> Records);

/// <summary>One captured frame: when (ns since the Unix epoch), how long it was on the wire, and the bytes kept.</summary>
public sealed record CaptureRecord(long TimeNanoseconds, int OriginalLength, byte[] Bytes)
{
    public bool IsTruncated => OriginalLength > Bytes.Length;
}
