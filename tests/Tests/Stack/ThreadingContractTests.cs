using System.Net;
using FluentAssertions;
using Netstack.Api;
using Netstack.Drivers.Loops;
using Netstack.Tests.Protocols;
using Netstack.Tests.Tcp;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Stack;

/// <summary>The threading contract: the scheduler says which thread is the loop's; application calls from any
/// other thread are posted to the loop and take effect only when it runs.</summary>
public class ThreadingContractTests
{
    private static T OnOtherThread<T>(Func<T> f)
    {
        T result = default!;
        var thread = new Thread(() => result = f());
        thread.Start();
        thread.Join();
        return result;
    }

    [Test]
    public void The_virtual_loop_belongs_to_its_owner_between_runs_and_to_its_runner_during_one()
    {
        var loop = new VirtualEventLoop();
        loop.IsOnLoopThread.Should().BeTrue("the creating thread owns the loop");
        OnOtherThread(() => loop.IsOnLoopThread).Should().BeFalse();

        bool? runnerDuringRun = null;
        var ran = new ManualResetEventSlim();
        loop.Post(() =>
        {
            runnerDuringRun = loop.IsOnLoopThread;
            ran.Set();
        });
        OnOtherThread(() =>
        {
            loop.RunUntil(loop.Now);
            return 0;
        });
        ran.IsSet.Should().BeTrue();
        runnerDuringRun.Should().BeTrue("the thread running the loop is the loop thread");
        loop.IsOnLoopThread.Should().BeFalse("the loop now belongs to the thread that ran it last");
    }

    [Test]
    public void A_connect_from_off_the_loop_is_posted_and_sends_its_syn_when_the_loop_runs()
    {
        var peer = new ScriptedPeer(new TcpSettings { Timestamps = false });
        var connect = OnOtherThread(() => peer.Host.ConnectTcpAsync(new IPEndPoint(ScriptedPeer.PeerIp.ToSystem(), 5000)));

        peer.Host.Tcp.Connections.Should().BeEmpty("the call was posted, not run on the caller's thread");
        peer.ExpectNothing();
        peer.RunFor(Duration.Zero);
        peer.Next().Flags.Should().Be(TcpFlags.Syn);
        peer.Host.Tcp.Connections.Should().ContainSingle();
        connect.IsCompleted.Should().BeFalse();
    }

    [Test]
    public void A_udp_send_and_a_ping_from_off_the_loop_go_out_only_when_the_loop_runs()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var socket = host.Stack.OpenUdp(4000);

        var send = OnOtherThread(() => socket.SendToAsync(new byte[] { 1, 2, 3 }, TracedHost.PeerIp, 5000).AsTask());
        var ping = OnOtherThread(() => host.Stack.PingAsync(TracedHost.PeerIp));
        host.TakeSent().Should().BeEmpty("both calls were posted to the loop");
        send.IsCompleted.Should().BeFalse();

        host.RunUntil(host.Now);
        send.IsCompletedSuccessfully.Should().BeTrue();
        send.Result.Should().Be(3);
        var sent = host.TakeSent();
        sent.Should().HaveCount(2, "the datagram and then the echo request, in the order they were posted");
        sent[0].Extract<PacketDotNet.UdpPacket>().Should().NotBeNull();
        sent[1].Extract<PacketDotNet.IcmpV4Packet>().Should().NotBeNull();
        ping.IsCompleted.Should().BeFalse("no reply yet");
    }

    [Test]
    public void A_cancelled_ping_is_forgotten()
    {
        var host = new TracedHost();
        host.LearnPeer();
        using var cts = new CancellationTokenSource();
        var ping = host.Stack.PingAsync(TracedHost.PeerIp, cancellationToken: cts.Token);
        cts.Cancel();
        host.RunUntil(host.Now); // the cancellation reaches the caller in the loop's next event, as every completion
        ping.IsCanceled.Should().BeTrue();
        host.RunUntil(host.Now + Duration.FromSeconds(2));
        host.Stack.Ping.Results.Should().BeEmpty("a cancelled request produces no result, not even a timeout");
    }
}
