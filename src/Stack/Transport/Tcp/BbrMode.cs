namespace Netstack.Transport.Tcp;

/// <summary>The states of BBR's state machine (draft-cardwell-iccrg-bbr-congestion-control ).</summary>
public enum BbrMode
{
    /// <summary>Doubling the sending rate every round trip (pacing gain 2/ln 2) until the bandwidth stops
    /// growing.</summary>
    Startup,
    /// <summary>Draining the queue Startup built (pacing gain ln 2 / 2) until the flight is one BDP.</summary>
    Drain,
    /// <summary>Steady state: cycling the pacing gain 5/4, 3/4, 1 x 6 to probe for bandwidth and give it back.</summary>
    ProbeBw,
    /// <summary>At most four segments in flight for 200 ms and a round trip, to measure the path's RTT afresh.</summary>
    ProbeRtt,
}
