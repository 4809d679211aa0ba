using System.Buffers.Binary;
using Netstack.Time;

namespace Netstack.Drivers.Capture;

/// <summary>Writes frames to a classic pcap file (nanosecond-resolution magic <c>0xA1B23C4D</c>, Ethernet) through
/// write buffers of its own: no allocation per frame and no native call per frame; a record header and its frame
/// are copied into the buffer in one pass (two buffered <see cref="FileStream"/> writes per frame took about a
/// quarter of the recording flood's CPU time), and a full buffer is written behind the loop's back by
/// <see cref="WriteBehindStream"/>. SharpPcap writes the same
/// format, but boxes a timeval per record (32 B/frame) and crosses into libpcap for every write; it stays the
/// reader, the BPF compiler and the live capture. Time zero of the clock is written as <see cref="Epoch"/> so
/// captures show a fixed, reproducible date.</summary>
public sealed class PcapFileSink : IFrameSink, IDisposable
{
    /// <summary>2026-01-01T00:00:00Z: the wall-clock date virtual time zero is shown as.</summary>
    public const long Epoch = 1_767_225_600;

    /// <summary>libpcap's largest snapshot length (and tcpdump's default): TSO frames from a tap reach 64 KiB plus
    /// headers, more than the classic 65,535.</summary>
    public const int SnapshotLength = 262_144;

    private const uint NanosecondMagic = 0xA1B23C4D;
    private const ushort VersionMajor = 2, VersionMinor = 4;
    private const uint LinkTypeEthernet = 1;
    private const int FileHeaderLength = 24, RecordHeaderLength = 16;
    private const int WriteBufferBytes = 1 << 16;

    private readonly WriteBehindStream _file;
    private byte[] _buffer;
    private int _buffered;
    private bool _disposed;

    public PcapFileSink(string path, long epochSeconds = Epoch)
    {
        Path = path;
        EpochUnixNanoseconds = epochSeconds * Duration.NanosecondsPerSecond;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        _file = new WriteBehindStream(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0), path,
            WriteBufferBytes);
        _buffer = _file.RentBuffer();
        Span<byte> header = _buffer.AsSpan(0, FileHeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header, NanosecondMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], VersionMajor);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], VersionMinor);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);  // thiszone: timestamps are UTC
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0); // sigfigs
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], SnapshotLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], LinkTypeEthernet);
        _buffered = FileHeaderLength;
    }

    public string Path { get; }

    /// <summary>The Unix time, in nanoseconds, that the clock's zero is written as (settable until the first frame,
    /// for a real-time clock whose zero is fixed when the world is ready). A raw count, not an <see cref="Instant"/>:
    /// it is the wall clock the pcap record headers are stamped in, not a time of the run's clock.</summary>
    public long EpochUnixNanoseconds { get; set; }
    public long FramesWritten { get; private set; }

    public void Write(Instant time, ReadOnlySpan<byte> frame, in FrameContext context)
    {
        long unixNs = EpochUnixNanoseconds + time.Nanoseconds;
        int captured = Math.Min(frame.Length, SnapshotLength);
        if (RecordHeaderLength + captured > WriteBufferBytes - _buffered)
        {
            SubmitBuffer();
            if (RecordHeaderLength + captured > WriteBufferBytes)
            {
                WriteRecordHeader(_buffer, unixNs, captured, frame.Length);
                _file.WriteNow(_buffer.AsSpan(0, RecordHeaderLength));
                _file.WriteNow(frame[..captured]);
                FramesWritten++;
                return;
            }
        }
        var record = _buffer.AsSpan(_buffered, RecordHeaderLength + captured);
        WriteRecordHeader(record, unixNs, captured, frame.Length);
        frame[..captured].CopyTo(record[RecordHeaderLength..]);
        _buffered += record.Length;
        FramesWritten++;
    }

    private static void WriteRecordHeader(Span<byte> record, long unixNs, int captured, int length)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(unixNs / Duration.NanosecondsPerSecond));
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(unixNs % Duration.NanosecondsPerSecond));
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)captured);
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)length);
    }

    private void SubmitBuffer()
    {
        if (_buffered == 0) return;
        _file.Submit(_buffer, _buffered);
        _buffer = _file.RentBuffer();
        _buffered = 0;
    }

    /// <summary>Returns once every record so far is in the file, so a reader (tshark on a live recording) sees them.</summary>
    public void Flush()
    {
        _file.WriteNow(_buffer.AsSpan(0, _buffered));
        _buffered = 0;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            Flush();
        }
        finally
        {
            _file.Dispose();
        }
    }
}
