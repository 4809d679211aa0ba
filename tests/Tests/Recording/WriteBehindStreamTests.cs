using FluentAssertions;
using Netstack.Drivers.Capture;
using Netstack.Tests.Support;
using Netstack.Time;
using NUnit.Framework;
using SharpPcap;
using SharpPcap.LibPcap;

namespace Netstack.Tests.Recording;

/// <summary>The pcap writer's write-behind thread: records land in the file in the order they were written, however
/// many buffers were in flight; a producer ahead of the disk waits instead of queueing without bound; a failed write
/// reaches the producer instead of being lost.</summary>
public class WriteBehindStreamTests
{
    [Test]
    public void A_recording_of_many_buffers_reads_back_frame_for_frame_in_order()
    {
        var path = Path.Combine(RepositoryPaths.FreshOutputDirectory("write-behind"), "many.pcap");
        var frames = new List<byte[]>();
        var random = new Random(7);
        using (var sink = new PcapFileSink(path))
        {
            for (int i = 0; i < 30_000; i++)
            {
                // Mostly small frames (many 64 KiB buffers), and two larger than a buffer, which bypass it.
                var frame = new byte[i is 9_000 or 21_000 ? 70_000 : 60 + random.Next(1_400)];
                random.NextBytes(frame);
                BitConverter.TryWriteBytes(frame, i);
                frames.Add(frame);
                sink.Write(Instant.Zero + Duration.FromMicroseconds(i), frame, new FrameContext("a", FrameDirection.Outbound));
            }
        }

        using var device = new CaptureFileReaderDevice(path);
        device.Open(new DeviceConfiguration { TimestampResolution = TimestampResolution.Nanosecond });
        int read = 0;
        while (device.GetNextPacket(out var capture) == GetPacketStatus.PacketRead)
        {
            var raw = capture.GetPacket();
            raw.Data.Should().Equal(frames[read], $"record {read + 1} holds frame {read + 1}");
            ((long)raw.Timeval.MicroSeconds).Should().Be(read, "timestamps in order");
            read++;
        }
        read.Should().Be(frames.Count);
    }

    [Test]
    public void A_producer_ahead_of_a_stalled_disk_waits_with_a_bounded_number_of_buffers_in_flight()
    {
        var stream = new GatedStream();
        var writer = new WriteBehindStream(stream, "gated", bufferBytes: 16);
        int submitted = 0;
        var producer = new Thread(() =>
        {
            for (byte i = 0; i < 20; i++)
            {
                var buffer = writer.RentBuffer();
                Array.Fill(buffer, i);
                writer.Submit(buffer, buffer.Length);
                Interlocked.Increment(ref submitted);
            }
        });
        producer.Start();

        stream.FirstWriteStarted.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue("the writing thread took the first buffer");
        WaitUntil(() => producer.ThreadState.HasFlag(ThreadState.WaitSleepJoin) && Volatile.Read(ref submitted) >= WriteBehindStream.BuffersInFlight);
        Volatile.Read(ref submitted).Should().Be(WriteBehindStream.BuffersInFlight,
            "one buffer is being written and the rest queued: the next rent waits for one to come back");

        stream.Release.Set();
        producer.Join(TimeSpan.FromSeconds(30)).Should().BeTrue();
        writer.WaitUntilWritten();
        stream.Written.Should().Equal(Enumerable.Range(0, 20).SelectMany(i => Enumerable.Repeat((byte)i, 16)));
        writer.Dispose();
    }

    [Test]
    public void A_failed_write_reaches_the_producer_with_the_stream_named_and_nothing_after_it_is_written()
    {
        var stream = new FailingStream(failOnWrite: 2);
        var writer = new WriteBehindStream(stream, "/tmp/full-disk.pcap", bufferBytes: 8);
        var act = () =>
        {
            for (int i = 0; i < 100; i++)
            {
                var buffer = writer.RentBuffer();
                writer.Submit(buffer, buffer.Length);
            }
            writer.WaitUntilWritten();
        };
        act.Should().Throw<IOException>().WithMessage("writing /tmp/full-disk.pcap failed: No space left on device*");
        writer.Invoking(w => w.Dispose()).Should().Throw<IOException>().WithMessage("*/tmp/full-disk.pcap*");
        stream.Writes.Should().Be(2, "the writing thread stops at the failure instead of writing later buffers out of order");
    }

    private static void WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 3_000 && !condition(); i++) Thread.Sleep(10);
        condition().Should().BeTrue("the condition held within 30 s");
    }

    /// <summary>A disk that stalls: its first write waits until the test releases it.</summary>
    private sealed class GatedStream : Stream
    {
        public readonly ManualResetEventSlim FirstWriteStarted = new(), Release = new();
        public readonly List<byte> Written = [];

        public override void Write(byte[] buffer, int offset, int count)
        {
            FirstWriteStarted.Set();
            Release.Wait();
            lock (Written) Written.AddRange(buffer.AsSpan(offset, count).ToArray());
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>A disk that fills up at its n-th write.</summary>
    private sealed class FailingStream(int failOnWrite) : Stream
    {
        public int Writes;

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Interlocked.Increment(ref Writes) == failOnWrite) throw new IOException("No space left on device");
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
