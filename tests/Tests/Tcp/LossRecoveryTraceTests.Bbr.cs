using FluentAssertions;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>BBR (draft-cardwell-iccrg-bbr-congestion-control, delivery rates per
/// draft-cheng-iccrg-delivery-rate-estimation): pacing and the Startup gain on the first flight, the rate sample an
/// ACK yields, and, over a scripted bottleneck path, Startup → Drain → ProbeBW, the gain cycle, ProbeRTT and the
/// response to a random loss. Each test fails with its mechanism removed.</summary>
public partial class LossRecoveryTraceTests
{
    private static TcpSettings BbrSettings => new()
    {
        CongestionControl = CongestionAlgorithm.Bbr,
        InitialWindowSegments = 10,
        Rack = true,
        TailLossProbe = false,
    };

    /// <summary>10 segments / (2.885 x 10 ms): the spacing of the first flight at the Startup pacing rate.</summary>
    private static Duration StartupSpacing => Duration.FromSeconds(Mss / (BbrModel.HighGain * 10 * Mss / 0.010));

    [Test]
    public void Bbr_paces_the_first_flight_at_the_startup_gain_times_the_initial_window_over_the_handshake_rtt()
    {
        EstablishWithTimestamps(BbrSettings, sack: true);
        var start = Peer.Loop.Now;
        Stream.Write(Bytes(10 * Mss));
        Peer.RunFor(Duration.FromMilliseconds(5));
        var flight = Peer.TakeAll();
        flight.Should().HaveCount(10);
        Conn.Bbr!.Mode.Should().Be(BbrMode.Startup);
        Conn.PacingRate.Should().BeApproximately(2.885 * 10 * Mss / 0.010, 20 * Mss, "pacing_gain 2/ln 2 x IW / SRTT");
        // One segment per Mss / pacing rate (~347 µs), not the whole window at once.
        for (int i = 0; i < 10; i++)
            (flight[i].Time - start).TotalMicroseconds.Should().BeApproximately((StartupSpacing * i).TotalMicroseconds, 1,
                "segment {0} leaves at its pacing slot", i);
    }

    [Test]
    public void Bbr_takes_a_delivery_rate_sample_from_an_ack_and_grows_the_startup_window_by_what_it_delivers()
    {
        EstablishWithTimestamps(BbrSettings, sack: true);
        var start = Peer.Loop.Now;
        Stream.Write(Bytes(10 * Mss));
        Peer.RunFor(Duration.FromMilliseconds(5));
        var flight = Peer.TakeAll();
        // Segments 0 and 1 are acknowledged 10 ms after segment 1 left.
        Peer.RunUntil(flight[1].Time + Duration.FromMilliseconds(10));
        Peer.Send(TcpFlags.Ack, P(0), S(2), options: Ts(1100, flight[1].Options.TsVal));
        var bbr = Conn.Bbr!;
        // The sample: 2 segments delivered since segment 1's send stamp (C.delivered 0 at the flight's start), over
        // max(send interval = one slot, ACK interval = now - the flight's start) = 10 ms + one slot.
        double interval = (Peer.Loop.Now - start).TotalSeconds;
        bbr.BottleneckBandwidth.Should().BeApproximately(2 * Mss / interval, 1e-6);
        bbr.RtProp.Should().Be(Duration.FromMilliseconds(10), "segment 1's round trip");
        bbr.RoundCount.Should().Be(1);
        // Startup: the window grows by the bytes delivered (10 + 2 segments), the pacing rate never falls before the
        // pipe is full.
        Conn.CongestionWindow.Should().Be(12 * Mss);
        Conn.PacingRate.Should().BeApproximately(2.885 * 10 * Mss / 0.010, 20 * Mss);
        Conn.SlowStartThreshold.Should().Be(int.MaxValue, "BBR keeps no ssthresh");
    }

    /// <summary>A path with one bottleneck of <see cref="BytesPerSecond"/> and a one-way delay, whose receiver
    /// acknowledges every segment at once (with the timestamp echo and one SACK block above a hole); a segment
    /// <see cref="Drop"/> picks (by offset and transmission count) is lost. The application keeps the send buffer
    /// full.</summary>
    private sealed class BottleneckPath(LossRecoveryTraceTests test, double bytesPerSecond, Duration oneWayDelay)
    {
        private readonly Queue<(Instant At, int Ack, int SackLeft, int SackRight, uint TsEcr)> _acks = new();
        private readonly SortedDictionary<int, int> _outOfOrder = new();
        private readonly Dictionary<int, int> _transmissions = new();
        private static readonly byte[] Chunk = new byte[64 * 1024];
        private Instant _linkFreeAt;
        private int _rcvNext;
        private uint _tsVal = 2000;

        public double BytesPerSecond { get; } = bytesPerSecond;
        public Duration OneWayDelay { get; set; } = oneWayDelay;
        public Func<int, int, bool> Drop { get; set; } = (_, _) => false;

        /// <summary>Runs until <paramref name="end"/>, in steps of at most 1 ms (shorter than any round trip, so
        /// no ACK is due before the step that sends its segment ends); <paramref name="observe"/> after each.</summary>
        public void RunUntil(Instant end, Action? observe = null)
        {
            var peer = test.Peer;
            while (peer.Loop.Now < end)
            {
                if (test.Conn.SendBufferFree >= Chunk.Length) test.Stream.Write(Chunk);
                var next = peer.Loop.Now + Duration.FromMilliseconds(1);
                if (_acks.Count > 0 && _acks.Peek().At < next) next = _acks.Peek().At;
                if (next > end) next = end;
                peer.RunUntil(next);
                foreach (var seg in peer.TakeAll())
                    if (seg.Length > 0) Carry(seg);
                while (_acks.Count > 0 && _acks.Peek().At <= peer.Loop.Now)
                {
                    var a = _acks.Dequeue();
                    var opts = a.SackRight > a.SackLeft ? Ts(_tsVal++, a.TsEcr, (H(a.SackLeft), H(a.SackRight)))
                        : Ts(_tsVal++, a.TsEcr);
                    peer.Send(TcpFlags.Ack, P(0), H(a.Ack), options: opts);
                }
                observe?.Invoke();
            }
        }

        private void Carry(SentSegment seg)
        {
            int offset = unchecked((int)(seg.Seq - H(0)));
            int count = _transmissions[offset] = _transmissions.GetValueOrDefault(offset) + 1;
            if (Drop(offset, count)) return;
            var departs = (seg.Time > _linkFreeAt ? seg.Time : _linkFreeAt) + Duration.FromSeconds(seg.Length / BytesPerSecond);
            _linkFreeAt = departs;
            var arrives = departs + OneWayDelay;
            int end = offset + seg.Length;
            if (offset <= _rcvNext)
            {
                _rcvNext = Math.Max(_rcvNext, end);
                while (_outOfOrder.Count > 0 && _outOfOrder.First().Key <= _rcvNext)
                {
                    var first = _outOfOrder.First();
                    _rcvNext = Math.Max(_rcvNext, first.Value);
                    _outOfOrder.Remove(first.Key);
                }
            }
            else _outOfOrder[offset] = Math.Max(end, _outOfOrder.GetValueOrDefault(offset));
            int left = 0, right = 0;
            if (_outOfOrder.Count > 0)
            {
                left = right = _outOfOrder.First().Key;
                foreach (var (start, stop) in _outOfOrder)
                {
                    if (start > right) break;
                    right = Math.Max(right, stop);
                }
            }
            _acks.Enqueue((arrives + OneWayDelay, _rcvNext, left, right, seg.Options.TsVal));
        }
    }

    /// <summary>1 segment per ms, 10 ms round trip: a BDP of 10 segments.</summary>
    private BottleneckPath StartBbrOverBottleneck()
    {
        EstablishWithTimestamps(BbrSettings with { SendBufferSize = 512 * 1024 }, sack: true);
        return new BottleneckPath(this, Mss * 1000.0, Duration.FromMilliseconds(5));
    }

    [Test]
    public void Bbr_leaves_startup_when_the_bandwidth_stops_growing_drains_the_queue_then_probes_bandwidth()
    {
        var path = StartBbrOverBottleneck();
        var modes = new List<BbrMode> { BbrMode.Startup };
        double drainGain = 0;
        path.RunUntil(Peer.Loop.Now + Duration.FromSeconds(1), () =>
        {
            var bbr = Conn.Bbr!;
            if (bbr.Mode != modes[^1]) modes.Add(bbr.Mode);
            if (bbr.Mode == BbrMode.Drain) drainGain = bbr.PacingGain;
        });
        modes.Should().Equal(BbrMode.Startup, BbrMode.Drain, BbrMode.ProbeBw);
        drainGain.Should().BeApproximately(1 / 2.885, 1e-3, "Drain paces at the inverse of the Startup gain");
        var model = Conn.Bbr!;
        model.FilledPipe.Should().BeTrue();
        model.BottleneckBandwidth.Should().BeApproximately(path.BytesPerSecond, path.BytesPerSecond * 0.05);
        model.RtProp.Should().Be(Duration.FromMilliseconds(11), "10 ms of delay and 1 ms to serialize a segment");
        // ProbeBW's window: cwnd_gain 2 x BDP (11 segments) + 3 segments.
        Conn.CongestionWindow.Should().BeInRange(24 * Mss, 26 * Mss);
    }

    [Test]
    public void Bbr_cycles_the_probe_bandwidth_gain_through_five_quarters_three_quarters_and_six_phases_of_one()
    {
        var path = StartBbrOverBottleneck();
        path.RunUntil(Peer.Loop.Now + Duration.FromSeconds(1));
        Conn.Bbr!.Mode.Should().Be(BbrMode.ProbeBw);
        var phases = new List<(int Index, double Gain, double Rate, Instant At)>();
        path.RunUntil(Peer.Loop.Now + Duration.FromSeconds(1), () =>
        {
            var bbr = Conn.Bbr!;
            if (phases.Count == 0 || phases[^1].Index != bbr.CycleIndex)
                phases.Add((bbr.CycleIndex, bbr.PacingGain, bbr.PacingRate, Peer.Loop.Now));
        });
        double[] cycle = [1.25, 0.75, 1, 1, 1, 1, 1, 1];
        phases.Count.Should().BeGreaterThan(40, "a phase lasts about one RTprop (10 ms)");
        for (int i = 1; i < phases.Count; i++)
        {
            phases[i].Index.Should().Be((phases[i - 1].Index + 1) % 8, "phases advance in order");
            phases[i].Gain.Should().Be(cycle[phases[i].Index]);
            phases[i].Rate.Should().BeApproximately(phases[i].Gain * Conn.Bbr!.BottleneckBandwidth,
                0.05 * Conn.Bbr.BottleneckBandwidth, "pacing rate = pacing_gain x BtlBw");
            // A phase lasts more than RTprop; the 3/4 one ends early once the flight is down to one BDP.
            if (phases[i - 1].Gain >= 1)
                (phases[i].At - phases[i - 1].At).Should().BeGreaterThan(Conn.Bbr.RtProp, "phase {0} lasts an RTprop", i - 1);
        }
    }

    [Test]
    public void Bbr_probes_the_rtt_with_four_segments_for_200_ms_after_10_s_without_a_new_minimum()
    {
        var path = StartBbrOverBottleneck();
        path.RunUntil(Peer.Loop.Now + Duration.FromSeconds(1));
        // The route lengthens by 2 ms each way: no RTT sample reaches the 10 ms minimum again.
        path.OneWayDelay = Duration.FromMilliseconds(7);
        var lengthenedAt = Peer.Loop.Now;
        Instant enteredAt = default, leftAt = default;
        int maxFlightInProbeRtt = 0, minCwnd = int.MaxValue, maxCwnd = 0;
        bool drained = false;
        path.RunUntil(lengthenedAt + Duration.FromSeconds(10.5), () =>
        {
            var bbr = Conn.Bbr!;
            if (bbr.Mode == BbrMode.ProbeRtt)
            {
                if (enteredAt == default) enteredAt = Peer.Loop.Now;
                minCwnd = Math.Min(minCwnd, Conn.CongestionWindow);
                maxCwnd = Math.Max(maxCwnd, Conn.CongestionWindow);
                int flight = (int)(Conn.SendNext - Conn.SendUnacknowledged);
                // Once the flight has drained to the minimum window it stays there.
                drained |= flight <= 4 * Mss;
                if (drained) maxFlightInProbeRtt = Math.Max(maxFlightInProbeRtt, flight);
            }
            else if (enteredAt != default && leftAt == default) leftAt = Peer.Loop.Now;
        });
        enteredAt.Should().NotBe(default(Instant), "ProbeRTT is entered once the minimum is 10 s old");
        (enteredAt - lengthenedAt).TotalSeconds.Should().BeInRange(9, 10.1);
        leftAt.Should().NotBe(default(Instant));
        (leftAt - enteredAt).TotalMilliseconds.Should().BeInRange(200, 260, "200 ms at the minimum window, plus a round");
        TestContext.Out.WriteLine($"ProbeRTT {enteredAt - lengthenedAt} .. {leftAt - enteredAt}, cwnd {minCwnd}..{maxCwnd}, flight {maxFlightInProbeRtt}");
        (minCwnd, maxCwnd).Should().Be((4 * Mss, 4 * Mss), "cwnd is 4 segments in ProbeRTT");
        drained.Should().BeTrue();
        maxFlightInProbeRtt.Should().BeLessThanOrEqualTo(4 * Mss);
        Conn.Bbr!.Mode.Should().Be(BbrMode.ProbeBw);
        Conn.Bbr.RtProp.TotalMilliseconds.Should().BeInRange(14, 15.5, "the expired minimum took the new path's RTT");
        Conn.CongestionWindow.Should().BeGreaterThan(10 * Mss, "the window saved on entry is restored");
    }

    [Test]
    public void Bbr_holds_the_window_to_packet_conservation_for_the_first_round_of_recovery_only_and_does_not_collapse_it()
    {
        var path = StartBbrOverBottleneck();
        path.RunUntil(Peer.Loop.Now + Duration.FromSeconds(1));
        int before = Conn.CongestionWindow;
        before.Should().BeInRange(24 * Mss, 26 * Mss);
        // One segment about to be sent is lost, and so is its first retransmission: recovery lasts two rounds.
        int lostOffset = unchecked((int)(Conn.SendNext - H(0))) + 5 * Mss;
        path.Drop = (offset, count) => offset == lostOffset && count <= 2;
        bool conservationSeen = false, roundWithoutConservationInRecovery = false, recoverySeen = false;
        int minCwnd = int.MaxValue;
        path.RunUntil(Peer.Loop.Now + Duration.FromMilliseconds(200), () =>
        {
            if (!Conn.InRecovery) return;
            recoverySeen = true;
            minCwnd = Math.Min(minCwnd, Conn.CongestionWindow);
            if (Conn.Bbr!.PacketConservation) conservationSeen = true;
            else if (conservationSeen) roundWithoutConservationInRecovery = true;
        });
        TestContext.Out.WriteLine($"before {before / Mss}, min in recovery {minCwnd / (double)Mss}, after {Conn.CongestionWindow / (double)Mss}");
        recoverySeen.Should().BeTrue();
        conservationSeen.Should().BeTrue("the first round of recovery is packet-conserving");
        roundWithoutConservationInRecovery.Should().BeTrue("after one round, still in recovery, the window grows again");
        // Conservation holds the window to the flight (BDP, 11 segments, plus the queue) and one segment more; NewReno
        // would halve the flight, CUBIC keep 0.7 of it.
        minCwnd.Should().BeGreaterThanOrEqualTo(12 * Mss, "the window stays at least the path's BDP: the pipe stays full");
        Conn.InRecovery.Should().BeFalse();
        Conn.CongestionWindow.Should().BeGreaterThanOrEqualTo(before - Mss, "leaving recovery restores the window");
        Conn.Bbr!.BottleneckBandwidth.Should().BeApproximately(path.BytesPerSecond, path.BytesPerSecond * 0.05,
            "a loss does not lower the bandwidth estimate");
    }
}
