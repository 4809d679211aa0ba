using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Network;
using Netstack.Drivers.Capture;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using static Netstack.Tests.Protocols.TracedHost;

namespace Netstack.Tests.Protocols;

/// <summary>Issue 18 #1: an exception escaping the processing of one frame (a stack defect) must not end the
/// host. With an observer attached it is counted, reported with the frame, and the next frame is served.</summary>
public class FrameFaultTests
{
    private const IpProtocol Faulty = (IpProtocol)253; // RFC 3692 experimental

    private sealed class ThrowingProtocol : IIpProtocol
    {
        public void Receive(Ipv4Packet packet, NetworkInterface iface) => throw new InvalidOperationException("defect");
        public void ReceiveError(in IcmpErrorReport error) { }
    }

    private sealed class MemorySink : IFrameSink
    {
        public readonly List<(Instant Time, byte[] Frame, FrameContext Context)> Frames = new();
        public void Write(Instant time, ReadOnlySpan<byte> frame, in FrameContext context) => Frames.Add((time, frame.ToArray(), context));
    }

    [Test]
    public void A_frame_whose_handler_throws_is_counted_logged_once_kept_and_the_next_frame_is_served()
    {
        var host = new TracedHost();
        host.LearnPeer();
        host.Stack.Ipv4.Register(Faulty, new ThrowingProtocol());
        var log = new StringWriter();
        var sink = new MemorySink();
        int opened = 0;
        var faults = new FrameFaultLog(host.Loop, log, () => { opened++; return sink; });
        host.Stack.FrameFaultObserver = faults;
        var bad = FromPeer(Faulty, [1, 2, 3, 4]);

        host.Feed(bad);
        host.Feed(bad);
        host.Feed(FromPeer(IpProtocol.Icmp, TestFrames.Echo(IcmpType.EchoRequest, 1, 1, [9, 9])));

        host.Stack.Counters.Dropped(DropReason.FrameHandlerFault).Should().Be(2);
        faults.Faults.Should().Be(2);
        host.Stack.Counters.IcmpEchoRepliesSent.Should().Be(1, "the stack goes on serving");
        host.TakeSent().Should().ContainSingle();
        log.ToString().Split('\n').Count(l => l.StartsWith("frame fault on")).Should().Be(1, "logged once");
        log.ToString().Should().Contain("InvalidOperationException: defect");
        opened.Should().Be(1);
        sink.Frames.Select(f => f.Frame).Should().AllSatisfy(f => f.Should().Equal(bad));
        sink.Frames.Should().HaveCount(2);
    }

    [Test]
    public void Without_an_observer_the_defect_propagates_so_tests_see_it()
    {
        var host = new TracedHost();
        host.Stack.Ipv4.Register(Faulty, new ThrowingProtocol());

        var act = () => host.Feed(FromPeer(Faulty, [1, 2, 3, 4]));

        act.Should().Throw<InvalidOperationException>();
        host.Stack.Counters.Dropped(DropReason.FrameHandlerFault).Should().Be(1);
    }

    [Test]
    public void No_fault_no_file()
    {
        var host = new TracedHost();
        int opened = 0;
        host.Stack.FrameFaultObserver = new FrameFaultLog(host.Loop, TextWriter.Null, () => { opened++; return new MemorySink(); });
        host.Feed(FromPeer(IpProtocol.Icmp, TestFrames.Echo(IcmpType.EchoRequest, 1, 1, [9, 9])));
        opened.Should().Be(0);
    }
}
