using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Simulation.Capture;
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
                seconds.Should().Be((uint)(PcapFileSink.Epoch + times[i] / 1_000_000_000), $"record {i}");
                nanos.Should().Be((uint)(times[i] % 1_000_000_000), $"record {i}");
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

    private static byte[] TestFrame(int length, byte seed)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(seed * 31 + i);
        return b;
    }
}
