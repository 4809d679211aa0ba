using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>TCP tunables for one stack. Defaults follow the RFCs (RFC 6298 timers, RFC 9293 MSL) or Linux
/// where the RFCs leave a choice.</summary>
public sealed record TcpSettings
{
    /// <summary>Bytes of unacknowledged plus unsent data a connection holds.</summary>
    public int SendBufferSize { get; init; } = 256 * 1024;
    /// <summary>Bytes of received data a connection holds for the application (bounds the window).</summary>
    public int ReceiveBufferSize { get; init; } = 256 * 1024;
    /// <summary>Offer the window scale option (RFC 7323 §2) on SYNs.</summary>
    public bool WindowScaling { get; init; } = true;
    /// <summary>Offer TCP timestamps (RFC 7323 §3) on SYNs.</summary>
    public bool Timestamps { get; init; } = true;
    /// <summary>Offer SACK-permitted (RFC 2018) on SYNs.</summary>
    public bool Sack { get; init; } = true;
    /// <summary>Disables Nagle's algorithm on new connections (TCP_NODELAY).</summary>
    public bool NoDelay { get; init; }

    /// <summary>RTO before the first RTT sample: RFC 6298 (2.1) says 1 s.</summary>
    public Duration InitialRto { get; init; } = Duration.FromSeconds(1);
    /// <summary>RFC 6298 (2.4): 1 s. Linux uses 200 ms.</summary>
    public Duration MinRto { get; init; } = Duration.FromSeconds(1);
    /// <summary>Ceiling of the backed-off RTO; RFC 6298 (2.5) allows at least 60 s.</summary>
    public Duration MaxRto { get; init; } = Duration.FromSeconds(60);
    /// <summary>SYN retransmissions before a connect fails with TimedOut. RFC 9293 §3.8.3 (MUST-23) asks for at
    /// least 3 minutes of them: with the RTO doubling from 1 s up to 60 s, 7 retries are sent at 1, 3, 7, 15, 31,
    /// 63 and 123 s and the connect fails at 183 s (6 retries would give up at 123 s).</summary>
    public int SynRetries { get; init; } = 7;
    /// <summary>SYN-ACK retransmissions before a half-open connection is dropped (Linux tcp_synack_retries).</summary>
    public int SynAckRetries { get; init; } = 5;
    /// <summary>Retransmissions of the same data before the connection is aborted (RFC 9293 R2).</summary>
    public int DataRetries { get; init; } = 15;

    /// <summary>Twice the maximum segment lifetime: how long TIME-WAIT lasts.</summary>
    public Duration TimeWaitDuration { get; init; } = Duration.FromSeconds(60);
    /// <summary>Delay ACKs for in-order data (RFC 1122 §4.2.3.2, RFC 9293 §3.8.6.3), acknowledging at least every
    /// second full segment.</summary>
    public bool DelayedAck { get; init; } = true;
    /// <summary>RFC 9293 §3.8.6.3: less than 0.5 s; RFC 5681: at most 500 ms. 200 ms like BSD.</summary>
    public Duration DelayedAckTimeout { get; init; } = Duration.FromMilliseconds(200);

    /// <summary>Probe idle connections (RFC 1122 §4.2.3.6); off by default, as the RFC requires.</summary>
    public bool Keepalive { get; init; }
    /// <summary>Idle time before the first keepalive probe; RFC 1122 §4.2.3.6: no less than two hours by
    /// default.</summary>
    public Duration KeepaliveIdle { get; init; } = Duration.FromHours(2);
    /// <summary>Time between unanswered keepalive probes (Linux tcp_keepalive_intvl).</summary>
    public Duration KeepaliveInterval { get; init; } = Duration.FromSeconds(75);
    /// <summary>Unanswered keepalive probes before the connection is aborted with TimedOut.</summary>
    public int KeepaliveProbes { get; init; } = 9;

    /// <summary>Half-open plus not-yet-accepted connections per listener when ListenTcp gives none.</summary>
    public int DefaultBacklog { get; init; } = 128;
    /// <summary>Answer SYNs with stateless SYN cookies while a listener's backlog is full, so a SYN flood
    /// cannot lock legitimate clients out.</summary>
    public bool SynCookies { get; init; } = true;
    /// <summary>Most distinct out-of-order ranges held per connection; more are dropped.</summary>
    public int MaxOutOfOrderRanges { get; init; } = 32;
    /// <summary>RFC 5961 §7: challenge ACKs the stack sends per second at most.</summary>
    public int ChallengeAckLimitPerSecond { get; init; } = 1000;
    /// <summary>Tail loss probe (RFC 8985 §7): two smoothed RTTs after the last transmission with no ACK, send a
    /// probe segment instead of waiting out the retransmission timeout, so a lost tail costs a round trip, not
    /// a second.</summary>
    public bool TailLossProbe { get; init; } = true;
    /// <summary>Congestion control: NewReno (RFC 5681/6582, the default) or CUBIC (RFC 9438, Linux's default).</summary>
    public CongestionAlgorithm CongestionControl { get; init; } = CongestionAlgorithm.NewReno;
    /// <summary>Initial congestion window in segments; 0 for RFC 5681's formula (2 to 4 segments).</summary>
    public int InitialWindowSegments { get; init; }

    /// <summary>Fixed initial sequence number for every connection (tests of wraparound); null for RFC 6528.</summary>
    public uint? FixedInitialSequenceNumber { get; init; }
}
