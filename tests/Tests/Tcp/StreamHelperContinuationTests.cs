using FluentAssertions;
using Netstack.Time;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>BCL stream helpers (ReadExactlyAsync, ReadAtLeastAsync) await the stream's own ReadAsync with
/// ConfigureAwait(false). Their continuations must still run on the event loop, or their next ReadAsync is made
/// from the thread pool while virtual time moves on without it.</summary>
public class StreamHelperContinuationTests
{
    private const int Chunk = 100;
    private static readonly Duration Gap = Duration.FromMilliseconds(50);

    /// <summary>A sends one chunk now and one <see cref="Gap"/> later; B reads both with <paramref name="read"/>.
    /// Returns whether B resumed on the loop thread, and the virtual time it took after the second write.</summary>
    private static (bool OnLoop, Duration AfterSecondWrite, byte[] Data) ReadTwoChunks(Func<Stream, byte[], Task> read)
    {
        var w = new TcpWorld(segment: new() { Latency = Duration.FromMilliseconds(1) });
        var listener = w.A.ListenTcp(9000);
        var secondWrite = Instant.MaxValue;
        w.Spawn(async () =>
        {
            var s = await listener.AcceptAsync();
            s.NoDelay = true; // the second chunk leaves at once, not after the first one's delayed ACK
            await s.WriteAsync(Enumerable.Repeat((byte)1, Chunk).ToArray());
            var later = new ScheduledTimer(w.Sim.Loop, () =>
            {
                secondWrite = w.Now;
                _ = s.WriteAsync(Enumerable.Repeat((byte)2, Chunk).ToArray());
            });
            later.ArmAfter(Gap);
        });
        bool onLoop = false;
        var completedAt = Instant.MaxValue;
        var buffer = new byte[2 * Chunk];
        var reader = w.Spawn(async () =>
        {
            var s = await w.B.ConnectTcpAsync(TcpWorld.AIp, 9000);
            var reading = read(s, buffer);
            // Runs on the thread that finished the helper: the one its last inner continuation ran on.
            _ = reading.ContinueWith(_ =>
            {
                onLoop = w.Sim.Loop.IsOnLoopThread;
                completedAt = w.Now;
            }, TaskContinuationOptions.ExecuteSynchronously);
            await reading;
        });
        w.RunUntil(() => reader.IsCompleted, 10).Should().BeTrue("the read completes in virtual time");
        reader.Exception.Should().BeNull();
        return (onLoop, completedAt - secondWrite, buffer);
    }

    [Test]
    public void ReadExactlyAsync_resumes_on_the_loop_in_virtual_time()
    {
        var (onLoop, after, data) = ReadTwoChunks((s, b) => s.ReadExactlyAsync(b).AsTask());
        onLoop.Should().BeTrue("the helper's ConfigureAwait(false) must not move the stream's continuations off the loop");
        after.Should().BeLessThan(Duration.FromMilliseconds(10), "one-way latency is 1 ms");
        data.Should().Equal(Enumerable.Repeat((byte)1, Chunk).Concat(Enumerable.Repeat((byte)2, Chunk)));
    }

    [Test]
    public void ReadAtLeastAsync_resumes_on_the_loop_in_virtual_time()
    {
        var (onLoop, after, _) = ReadTwoChunks((s, b) => s.ReadAtLeastAsync(b, b.Length).AsTask());
        onLoop.Should().BeTrue();
        after.Should().BeLessThan(Duration.FromMilliseconds(10));
    }

    [Test]
    public void WriteAsync_through_CopyToAsync_resumes_on_the_loop()
    {
        var w = new TcpWorld();
        var listener = w.A.ListenTcp(9001);
        var payload = Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray();
        var received = new MemoryStream();
        bool serverOnLoop = false, clientOnLoop = false;
        var server = w.Spawn(async () =>
        {
            var s = await listener.AcceptAsync();
            var copy = s.CopyToAsync(received);
            _ = copy.ContinueWith(_ => serverOnLoop = w.Sim.Loop.IsOnLoopThread, TaskContinuationOptions.ExecuteSynchronously);
            await copy;
        });
        var client = w.Spawn(async () =>
        {
            var s = await w.B.ConnectTcpAsync(TcpWorld.AIp, 9001);
            var copy = new MemoryStream(payload).CopyToAsync(s);
            _ = copy.ContinueWith(_ => clientOnLoop = w.Sim.Loop.IsOnLoopThread, TaskContinuationOptions.ExecuteSynchronously);
            await copy;
            s.ShutdownSend();
        });
        w.RunUntil(() => server.IsCompleted && client.IsCompleted, 60).Should().BeTrue();
        client.Exception.Should().BeNull();
        clientOnLoop.Should().BeTrue("a write that waited for send-buffer space resumes CopyToAsync on the loop");
        serverOnLoop.Should().BeTrue();
        received.ToArray().Should().Equal(payload);
    }
}
