using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>TCP tunables for one stack. Defaults follow the RFCs (RFC 6298 timers, RFC 9293 MSL) or Linux
/// where the RFCs leave a choice.</summary>
public sealed record TcpSettings
{
    /// <summary>Bytes of unacknowledged plus unsent data a connection holds.</summary>
    public int SendBufferSize { get; init; } = 256 * 1024;
    /// <summary>Bytes of received data a connection holds for the application (bounds the window).</summary>
    public int ReceiveBufferSize { get; init; } = 256 * 1024;
    /// <summary>Receive-buffer auto-tuning, as Linux grows a socket's buffer towards tcp_rmem[2]: when larger than
    /// <see cref="ReceiveBufferSize"/>, a connection's buffer doubles, up to this size, each time the peer filled the
    /// whole advertised window, or the application read more than half the buffer within one receiver RTT (Linux's
    /// dynamic right-sizing: a window holds two RTTs of reading), and the application then read everything (the
    /// window, not the reader, held the sender back). A reader that does not keep up never grows it. 0: the buffer stays at
    /// <see cref="ReceiveBufferSize"/>. The window scale offered covers this size.</summary>
    public int ReceiveBufferMaxSize { get; init; }
    /// <summary>Linux's receiver ACK pacing for bulk transfers (tcp_input.c __tcp_ack_snd_check, tcp.c
    /// tcp_cleanup_rbuf): data completing two full segments is acknowledged at once only if the window offered would
    /// not shrink (the application has read what came before); otherwise the ACK waits for the application's next
    /// read or the delayed-ACK timer. A read then sends a pure window update only when the offered window has fallen
    /// to half the buffer or less and would at least double. A reader served in batches (a tap's read loop, GRO)
    /// then draws one or two ACKs per batch instead of two per large segment. False: every second full segment is
    /// acknowledged at once, and a read sends an update whenever the right edge moves by min(buffer / 2, 2 MSS).</summary>
    public bool DeferAckUntilRead { get; init; }
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

    /// <summary>The personality these settings started from (<see cref="ForPersonality"/>); informational, the
    /// values below are what counts.</summary>
    public TcpPersonality Personality { get; init; } = TcpPersonality.Rfc;
    /// <summary>How SYN and SYN-ACK options are laid out.</summary>
    public TcpOptionLayout SynOptionLayout { get; init; } = TcpOptionLayout.Linux;
    /// <summary>Window scale shift offered on SYNs; null for the smallest that covers
    /// <see cref="ReceiveBufferSize"/>.</summary>
    public int? WindowScale { get; init; }
    /// <summary>The window a SYN or SYN-ACK advertises is rounded down to a multiple of the MSS the peer will
    /// send (Linux: 64240 = 44 x 1460 on a SYN, 65160 = 45 x 1448 on a SYN-ACK with timestamps).</summary>
    public bool RoundSynWindowToMss { get; init; }
    /// <summary>Receiver SWS avoidance (RFC 9293 §3.8.6.2.2): the advertised right edge moves only by at least
    /// min(buffer / 2, MSS). False: every ACK advertises the free buffer space as it is (FreeBSD, per
    /// tcp-testsuite's expectations).</summary>
    public bool ReceiverSwsAvoidance { get; init; } = true;
    /// <summary>A scaled window is rounded up to whole units of <c>1 &lt;&lt; shift</c> rather than down (Linux,
    /// measured: a 64240-byte SYN window is advertised as 63 &lt;&lt; 10 after the handshake, 65160 as 64; FreeBSD per
    /// tcp-testsuite). The right edge the connection accepts data up to stays the unrounded one.</summary>
    public bool ScaledWindowRoundsUp { get; init; }
    /// <summary>After the handshake the window is capped by the one our SYN or SYN-ACK advertised, the cap growing by
    /// two segments with every full-sized segment received, so windows grow from the SYN's as data arrives (Linux,
    /// measured: 63 &lt;&lt; 10 after a 64240-byte SYN window although 64 KiB are free; the growth per segment is
    /// modelled, not measured). False: the free buffer from the first ACK.</summary>
    public bool ReceiveWindowGrowsFromSynWindow { get; init; }
    /// <summary>ABORT's reset carries an ACK, the window and the timestamps like any segment of the connection
    /// (Linux, measured: <c>R. seq 3001 ack 7 win 63 &lt;nop,nop,TS&gt;</c>). False: a bare RST with SEQ = SND.NXT
    /// (RFC 9293 §3.10.5).</summary>
    public bool AbortResetCarriesAck { get; init; }
    /// <summary>Data segments acknowledged at once at the start of a connection (and after idle), before delayed
    /// ACKs begin: Linux's quick-ACK mode. 0: delayed ACKs from the first segment.</summary>
    public int QuickAckSegments { get; init; }
    /// <summary>The peer's FIN is acknowledged by the delayed-ACK timer (or by our next segment) rather than at
    /// once, as Linux does.</summary>
    public bool DelayFinAck { get; init; }
    /// <summary>Nagle as Minshall refined it: a short segment waits only while an earlier short one is
    /// unacknowledged. False: classic RFC 896 (any unacknowledged data holds a short segment back).</summary>
    public bool NagleMinshall { get; init; } = true;
    /// <summary>RACK (RFC 8985 §6): a segment is lost once a segment sent after it is delivered and a reordering
    /// window has passed, rather than after three duplicate ACKs. Needs SACK.</summary>
    public bool Rack { get; init; }
    /// <summary>Proportional Rate Reduction (RFC 6937) paces fast recovery: cwnd falls to ssthresh gradually, in
    /// step with delivered data, instead of at once. Without SACK each duplicate ACK counts as one segment
    /// delivered (RFC 6937 §3), in place of NewReno's window inflation.</summary>
    public bool ProportionalRateReduction { get; init; }
    /// <summary>F-RTO (RFC 5682): after a timeout, the first ACKs tell whether it was spurious before data that was
    /// not lost is sent again.</summary>
    public bool ForwardRto { get; init; }
    /// <summary>Undo a congestion-window reduction when D-SACKs (RFC 2883) show every retransmission of the episode
    /// was spurious (RFC 3708 detection; Linux-like undo).</summary>
    public bool DsackUndo { get; init; }

    /// <summary>The defaults of <paramref name="personality"/>; override single values with <c>with</c>.</summary>
    public static TcpSettings ForPersonality(TcpPersonality personality) => personality switch
    {
        TcpPersonality.Linux => new TcpSettings
        {
            Personality = TcpPersonality.Linux,
            // Measured: SYN win 64240 (SYN-ACK 65160), wscale 10; windows of 63-64 << 10 afterwards.
            ReceiveBufferSize = 64 * 1024,
            WindowScale = 10,
            RoundSynWindowToMss = true,
            // ip-sysctl.rst: tcp_rto_min_us 200 ms, tcp_rto_max_ms 120 s, initial RTO 1 s, tcp_syn_retries 6
            // (127 s), tcp_synack_retries 5, tcp_retries2 15.
            InitialRto = Duration.FromSeconds(1),
            MinRto = Duration.FromMilliseconds(200),
            MaxRto = Duration.FromSeconds(120),
            SynRetries = 6,
            SynAckRetries = 5,
            DataRetries = 15,
            // Measured: the first data segments are acknowledged at once, a FIN is not.
            DelayedAckTimeout = Duration.FromMilliseconds(40),
            QuickAckSegments = 16,
            DelayFinAck = true,
            // Measured: windows of 64 << 10 once data is read (the free buffer as it is), RST|ACK on abort.
            ReceiverSwsAvoidance = false,
            ScaledWindowRoundsUp = true,
            ReceiveWindowGrowsFromSynWindow = true,
            AbortResetCarriesAck = true,
            // ip-sysctl.rst: tcp_challenge_ack_limit INT_MAX (the per-socket tcp_invalid_ratelimit remains).
            ChallengeAckLimitPerSecond = int.MaxValue,
            CongestionControl = CongestionAlgorithm.Cubic,
            InitialWindowSegments = 10,
            NagleMinshall = true,
            TimeWaitDuration = Duration.FromSeconds(60),
            Rack = true,
            ProportionalRateReduction = true,
            ForwardRto = true,
            DsackUndo = true,
        },
        TcpPersonality.FreeBsd => new TcpSettings
        {
            Personality = TcpPersonality.FreeBsd,
            SynOptionLayout = TcpOptionLayout.FreeBsd,
            // tcp-testsuite: SYN win 65535 <mss 1460,nop,wscale 6,sackOK,TS ...>; tcp(4) recvspace 64 KiB, which the
            // scripts show rounded up to whole segments: 65700 = 45 x 1460 (64901 advertised with 799 bytes unread).
            ReceiveBufferSize = 45 * 1460,
            ReceiverSwsAvoidance = false,
            // tcp-testsuite: win 1027 for 65700 >> 6 (1026.6) and 1015 with 799 bytes unread (1014.1): rounded up.
            ScaledWindowRoundsUp = true,
            WindowScale = 6,
            // tcp(4): rexmit_initial 1 s, rexmit_min 30 ms, 64 s ceiling; keepinit 75 s for the handshake.
            InitialRto = Duration.FromSeconds(1),
            MinRto = Duration.FromMilliseconds(30),
            MaxRto = Duration.FromSeconds(64),
            SynRetries = 6,
            SynAckRetries = 3,
            DataRetries = 12,
            // tcp(4): delayed_ack on, delacktime 100 ms.
            DelayedAckTimeout = Duration.FromMilliseconds(100),
            // tcp(4): ack_war_cnt 5 challenge ACKs per ack_war_timewindow 1 s.
            ChallengeAckLimitPerSecond = 5,
            // cc(4): CUBIC is the default since FreeBSD 14; tcp(4): initcwnd_segments 10; msl 30 s.
            CongestionControl = CongestionAlgorithm.Cubic,
            InitialWindowSegments = 10,
            NagleMinshall = false,
            TimeWaitDuration = Duration.FromSeconds(60),
            // tcp(4): do_prr 1, rfc6675_pipe; RACK is the optional tcp_rack stack, not the default one.
            ProportionalRateReduction = true,
            ForwardRto = true,
        },
        _ => new TcpSettings(),
    };

    /// <summary>Parses a personality name (rfc, linux, freebsd), ignoring case.</summary>
    public static bool TryParsePersonality(string? text, out TcpPersonality personality)
    {
        switch (text?.ToLowerInvariant())
        {
            case "rfc": personality = TcpPersonality.Rfc; return true;
            case "linux": personality = TcpPersonality.Linux; return true;
            case "freebsd": personality = TcpPersonality.FreeBsd; return true;
            default: personality = TcpPersonality.Rfc; return false;
        }
    }

    /// <summary>Fixed initial sequence number for every connection (tests of wraparound); null for RFC 6528.</summary>
    public uint? FixedInitialSequenceNumber { get; init; }
}
