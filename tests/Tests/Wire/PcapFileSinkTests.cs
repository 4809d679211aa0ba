using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Drivers.Capture;
using Netstack.Time;
using NUnit.Framework;

namespace Netstack.Tests.Wire;

/// <summary>The pcap writer's record headers, read back byte by byte: nanosecond timestamps from virtual
/// time plus the fixed epoch, and lengths, for every frame (the sink reuses one header object).</summary>
public class PcapFileSinkTests
{
    [Test]
    public void Records_carry_exact_nanosecond_timestamps_and_lengths()
    {
        long[] times = [0, 1, 999_999_999, 1_000_000_000, 123_456_789_012, 86_400_000_000_001];
        var path = Path.Combine(Path.GetTempPath(), $"pcap-sink-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var sink = new PcapFileSink(path))
                for (int i = 0; i < times.Length; i++)
                    sink.Write(new Instant(times[i]), TestFrame(60 + i * 100, (byte)i), default);

            var bytes = File.ReadAllBytes(path);
            BinaryPrimitives.ReadUInt32LittleEndian(bytes).Should().Be(0xA1B23C4D, "nanosecond-resolution pcap magic");
            BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(20)).Should().Be(1, "Ethernet link type");
            int at = 24;
            for (int i = 0; i < times.Length; i++)
            {
                uint seconds = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at));
                uint nanos = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4));
                int captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8));
                int original = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12));
                seconds.Should().Be((uint)(PcapFileSink.Epoch + times[i] / Duration.NanosecondsPerSecond), $"record {i}");
                nanos.Should().Be((uint)(times[i] % Duration.NanosecondsPerSecond), $"record {i}");
                captured.Should().Be(60 + i * 100);
                original.Should().Be(captured);
                bytes.AsSpan(at + 16, captured).ToArray().Should().Equal(TestFrame(captured, (byte)i));
                at += 16 + captured;
            }
            at.Should().Be(bytes.Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Files_are_what_libpcap_writes_for_the_same_frames()
    {
        // Differential check against SharpPcap/libpcap's own writer: the same header fields and records, byte for
        // byte, except the snapshot length (ours is libpcap's maximum, 262144; SharpPcap was configured with 65535).
        long[] times = [0, 7, 1_500_000_000, 99_999_999_999];
        var dir = Path.Combine(Path.GetTempPath(), $"pcap-diff-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string ours = Path.Combine(dir, "ours.pcap"), theirs = Path.Combine(dir, "libpcap.pcap");
            using (var sink = new PcapFileSink(ours))
                for (int i = 0; i < times.Length; i++)
                    sink.Write(new Instant(times[i]), TestFrame(64 + i * 500, (byte)i), default);

            var device = new SharpPcap.LibPcap.CaptureFileWriterDevice(theirs, FileMode.Create);
            device.Open(new SharpPcap.DeviceConfiguration
            {
                LinkLayerType = PacketDotNet.LinkLayers.Ethernet,
                TimestampResolution = SharpPcap.TimestampResolution.Nanosecond,
                Snaplen = 65535,
            });
            for (int i = 0; i < times.Length; i++)
            {
                long unixNs = PcapFileSink.Epoch * Duration.NanosecondsPerSecond + times[i];
                var frame = TestFrame(64 + i * 500, (byte)i);
                var header = new SharpPcap.LibPcap.PcapHeader(0, 0, (uint)frame.Length, (uint)frame.Length) { Timeval = new SharpPcap.PosixTimeval() };
                header.Timeval.Value = new decimal((int)unixNs, (int)(unixNs >> 32), 0, false, 9);
                device.Write(frame, ref header);
            }
            device.Close();

            var a = File.ReadAllBytes(ours);
            var b = File.ReadAllBytes(theirs);
            a.Length.Should().Be(b.Length);
            BinaryPrimitives.ReadUInt32LittleEndian(a.AsSpan(16)).Should().Be(PcapFileSink.SnapshotLength);
            a.AsSpan(0, 16).ToArray().Should().Equal(b.AsSpan(0, 16).ToArray(), "magic, version, zone and sigfigs");
            a.AsSpan(20).ToArray().Should().Equal(b.AsSpan(20).ToArray(), "link type and every record");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void A_frame_longer_than_the_snapshot_length_is_cut_and_keeps_its_original_length()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pcap-snap-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var sink = new PcapFileSink(path))
                sink.Write(Instant.Zero, new byte[PcapFileSink.SnapshotLength + 10], default);
            var bytes = File.ReadAllBytes(path);
            BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24 + 8)).Should().Be(PcapFileSink.SnapshotLength);
            BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24 + 12)).Should().Be(PcapFileSink.SnapshotLength + 10);
            bytes.Length.Should().Be(24 + 16 + PcapFileSink.SnapshotLength);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Records_crossing_the_write_buffer_and_frames_larger_than_it_come_back_whole_and_in_order()
    {
        // The sink copies records into a 64 KiB buffer of its own: records that straddle its end, a frame larger than
        // the whole buffer (a TSO frame from a tap) and a flush between writes must all read back in order.
        int[] lengths = [.. Enumerable.Range(0, 120).Select(i => 60 + i * 37 % 1455), 70_000, 1514, 65_520, 60, 65_536, 42];
        var path = Path.Combine(Path.GetTempPath(), $"pcap-wrap-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var sink = new PcapFileSink(path))
                for (int i = 0; i < lengths.Length; i++)
                {
                    sink.Write(new Instant(i), TestFrame(lengths[i], (byte)i), default);
                    if (i == 60) sink.Flush();
                }
            var bytes = File.ReadAllBytes(path);
            int at = 24;
            for (int i = 0; i < lengths.Length; i++)
            {
                BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4)).Should().Be((uint)i, $"record {i}'s nanoseconds");
                int captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8));
                captured.Should().Be(lengths[i], $"record {i}");
                bytes.AsSpan(at + 16, captured).SequenceEqual(TestFrame(captured, (byte)i)).Should().BeTrue($"record {i}'s bytes");
                at += 16 + captured;
            }
            at.Should().Be(bytes.Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] TestFrame(int length, byte seed)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(seed * 31 + i);
        return b;
    }
}
