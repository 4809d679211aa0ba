using FluentAssertions;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>Loss-recovery behaviour found in the 20%-loss benchmark against the kernel (issue 11,
/// tools/tcp-loss-bench): each trace fails without its fix.</summary>
public partial class LossRecoveryTraceTests
{
    [Test]
    public void New_data_sent_while_the_rto_guards_a_single_segment_arms_the_probe_timeout()
    {
        // RTO 200 ms (Linux's minimum); with one segment in flight the PTO (2 SRTT + a 200 ms delayed ACK) is later
        // than the RTO, so the RTO guards it.
        EstablishWithTimestamps(new TcpSettings { MinRto = Duration.FromMilliseconds(200) });
        Stream.Write(Bytes(Mss));
        var first = Peer.Next();
        first.Seq.Should().Be(S(0));
        // 1 ms later a second segment goes: two in flight, PTO = 2 SRTT = 20 ms from now (RFC 8985 §7.2: the PTO
        // restarts after every transmission of new data; Linux reschedules its probe after each write).
        Peer.RunFor(Duration.FromMilliseconds(1));
        Stream.Write(Bytes(Mss));
        var second = Peer.Next();
        second.Seq.Should().Be(S(1));
        Peer.RunUntil(second.Time + Duration.FromMilliseconds(19));
        Peer.ExpectNothing();
        Peer.RunUntil(second.Time + Duration.FromMilliseconds(20));
        var probe = Peer.Next();
        probe.Seq.Should().Be(S(1), "the probe is the last segment again: no new data to send");
        probe.Time.Should().Be(second.Time + Duration.FromMilliseconds(20));
        Peer.ExpectNothing();
        Peer.Host.Counters.TcpLossProbesSent.Should().Be(1);
    }
}
