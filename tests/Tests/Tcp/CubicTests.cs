using FluentAssertions;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>CUBIC (RFC 9438) beside NewReno: the window function and its effect on a connection.</summary>
public class CubicTests : TraceTestBase
{
    private static uint H(int offset) => unchecked(HostIsn + 1 + (uint)offset);
    private static uint P(int offset) => unchecked(PeerIsn + 1 + (uint)offset);

    [Test]
    public void After_a_loss_at_100_segments_the_window_is_70_and_regains_100_at_k_then_grows_beyond()
    {
        var cubic = new CubicWindow();
        cubic.OnCongestionEvent(100).Should().BeApproximately(70, 1e-9, "β_cubic = 0.7 (RFC 9438 §4.6)");
        double w = 70, now = 0;
        const double rtt = 0.1;
        var samples = new List<double>();
        // One ACK per segment, every RTT a window's worth.
        for (int round = 0; round < 80; round++)
        {
            int acks = (int)w;
            for (int i = 0; i < acks; i++) w = cubic.OnAck(w, now + rtt * i / acks, rtt, 1);
            now += rtt;
            samples.Add(w);
        }
        cubic.K.Should().BeApproximately(Math.Cbrt(30 / 0.4), 1e-9, "K = cbrt(W_max (1 - β) / C)");
        // Concave: the growth per RTT shrinks as the window nears W_max = 100 ...
        (samples[5] - samples[4]).Should().BeGreaterThan(samples[30] - samples[29]);
        // ... it is near W_max around K (4.2 s = 42 RTTs), and convex (growing faster) well beyond it.
        samples[41].Should().BeInRange(99, 103);
        (samples[79] - samples[78]).Should().BeGreaterThan(samples[45] - samples[44]);
        samples[79].Should().BeGreaterThan(110);
    }

    [Test]
    public void Fast_convergence_lowers_w_max_when_the_window_had_not_regained_the_last_one()
    {
        var cubic = new CubicWindow();
        cubic.OnCongestionEvent(100);
        cubic.OnCongestionEvent(80);
        cubic.WMax.Should().BeApproximately(80 * (1 + 0.7) / 2, 1e-9, "RFC 9438 §4.7");
    }

    [Test]
    public void A_cubic_connection_reduces_its_window_to_0_7_of_the_flight_on_fast_retransmit()
    {
        EstablishPassive(Plain(new TcpSettings { InitialWindowSegments = 10, CongestionControl = CongestionAlgorithm.Cubic }));
        Stream.Write(Bytes(10 * 1460));
        Peer.TakeAll().Should().HaveCount(10);
        for (int i = 0; i < 3; i++) Peer.Send(TcpFlags.Ack, P(0), H(0));
        Peer.Next().Seq.Should().Be(H(0));
        Conn.InRecovery.Should().BeTrue();
        Conn.SlowStartThreshold.Should().Be(7 * 1460, "NewReno would halve the flight of 10 segments to 5");
    }
}
