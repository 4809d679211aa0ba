using FluentAssertions;
using Netstack.Api;
using Netstack.Tests.Tcp;
using Netstack.Time;
using NUnit.Framework;

namespace Netstack.Tests.Stack;

/// <summary>Library code awaits with <c>ConfigureAwait(false)</c>. Every pending API call — connect, accept, UDP receive
/// and send, ping — must still resume it on the event loop, or that code goes on from the thread pool while virtual
/// time moves on without it.</summary>
public class ConfigureAwaitFalseResumptionTests
{
    /// <summary>Runs <paramref name="app"/> on the loop; it awaits the API under test with ConfigureAwait(false) and
    /// reports where it resumed. The world runs in virtual time until the app ends.</summary>
    private static bool ResumedOnLoop(TcpWorld w, Func<TcpWorld, Task<bool>> app)
    {
        var task = w.Spawn(() => app(w));
        w.RunUntil(() => task.IsCompleted, 30).Should().BeTrue("the awaited call completes in virtual time");
        task.Exception.Should().BeNull();
        return task.Result;
    }

    [Test]
    public void ConnectTcpAsync_and_AcceptAsync_resume_on_the_loop()
    {
        var w = new TcpWorld();
        var listener = w.A.ListenTcp(9100);
        bool acceptedOnLoop = false;
        var server = w.Spawn(async () =>
        {
            await listener.AcceptAsync().ConfigureAwait(false);
            acceptedOnLoop = w.Sim.Loop.IsOnLoopThread;
        });
        ResumedOnLoop(w, async w =>
        {
            await w.B.ConnectTcpAsync(TcpWorld.AIp, 9100).ConfigureAwait(false);
            return w.Sim.Loop.IsOnLoopThread;
        }).Should().BeTrue("connect completes after a round trip: it was pending when awaited");
        w.RunUntil(() => server.IsCompleted, 1).Should().BeTrue();
        acceptedOnLoop.Should().BeTrue();
    }

    [Test]
    public void UDP_receive_resumes_on_the_loop()
    {
        var w = new TcpWorld();
        var receiver = w.A.OpenUdp(5300);
        var sender = w.B.OpenUdp(5301);
        var received = w.Spawn(async () =>
        {
            var datagram = await receiver.ReceiveFromAsync().ConfigureAwait(false);
            return (w.Sim.Loop.IsOnLoopThread, datagram.Length);
        });
        w.Spawn(async () => await sender.SendToAsync(new byte[] { 1, 2, 3 }, TcpWorld.AIp, 5300));
        w.RunUntil(() => received.IsCompleted, 5).Should().BeTrue();
        received.Result.Should().Be((true, 3));
    }

    [Test]
    public void PingAsync_resumes_on_the_loop()
    {
        ResumedOnLoop(new TcpWorld(), async w =>
        {
            var reply = await w.B.PingAsync(TcpWorld.AIp).ConfigureAwait(false);
            reply.Status.Should().Be(PingStatus.Success);
            return w.Sim.Loop.IsOnLoopThread;
        }).Should().BeTrue();
    }

    [Test]
    public void A_cancelled_connect_still_resumes_on_the_loop_with_the_cancellation()
    {
        var w = new TcpWorld(segment: new() { Latency = Duration.FromMilliseconds(500) });
        using var cancel = new CancellationTokenSource();
        var outcome = w.Spawn(async () =>
        {
            try
            {
                await w.B.ConnectTcpAsync(TcpWorld.AIp, 9101, cancellationToken: cancel.Token).ConfigureAwait(false);
                return "connected";
            }
            catch (OperationCanceledException e) when (e.CancellationToken == cancel.Token)
            {
                return w.Sim.Loop.IsOnLoopThread ? "cancelled on the loop" : "cancelled off the loop";
            }
        });
        cancel.Cancel();
        w.RunUntil(() => outcome.IsCompleted, 5).Should().BeTrue();
        outcome.Result.Should().Be("cancelled on the loop");
    }

    [Test]
    public void A_stream_read_through_the_array_overload_resumes_on_the_loop()
    {
        var w = new TcpWorld();
        var listener = w.A.ListenTcp(9102);
        w.Spawn(async () =>
        {
            var s = await listener.AcceptAsync();
            await s.WriteAsync(new byte[] { 7, 8, 9 });
        });
        ResumedOnLoop(w, async w =>
        {
            var s = await w.B.ConnectTcpAsync(TcpWorld.AIp, 9102);
            var buffer = new byte[16];
            // Stream.ReadAsync(byte[], int, int) hands back a Task made of the stream's ValueTask.
            int n = await s.ReadAsync(buffer, 0, buffer.Length).ConfigureAwait(false);
            n.Should().Be(3);
            return w.Sim.Loop.IsOnLoopThread;
        }).Should().BeTrue();
    }
}
