namespace Netstack.Harness.Running;

/// <summary>How to run scenarios: where recordings go, and an optional seed that overrides the file's.</summary>
public sealed record RunOptions
{
    /// <summary>Directory for <c>&lt;scenario&gt;.pcap</c>; null records in memory only.</summary>
    public string? OutputDirectory { get; init; } = "out";
    public ulong? Seed { get; init; }
    public CaptureFormat Format { get; init; } = CaptureFormat.Pcap;
    public ScenarioWire Wire { get; init; } = ScenarioWire.Virtual;
    /// <summary>The TCP personality of our stack as a packetdrill script's local host (docs/personalities.md).</summary>
    public Netstack.Transport.Tcp.TcpPersonality Personality { get; init; }
    /// <summary>Also a capture at each host's own port: what it received (after faults), sent, or both.</summary>
    public HostCaptureMode Capture { get; init; } = HostCaptureMode.None;
    /// <summary>How TCP frames are commented in pcapng recordings (retransmissions; a segment notation if set).</summary>
    public Trace.TcpCommentFormatter TcpComments { get; init; } = Trace.TcpCommentFormatter.Default;
    /// <summary>On the real wire, a pass that needed the allowance for the harness's own stall is inconclusive too, and
    /// run again: for a conformance cell whose documented difference is one of timing, which the allowance could
    /// hide (lwIP's late SYN-ACK retransmission "passed" at load 70).</summary>
    public bool PassMustKeepTime { get; init; }
}

/// <summary>Which per-host captures a run writes besides the segment's recording (<c>--capture</c>).</summary>
public enum HostCaptureMode
{
    /// <summary>Only the segment's recording: every frame as sent, before faults.</summary>
    None,
    /// <summary>Per host, the frames it received, after faults: <c>NAME.HOST.rx.pcap</c>.</summary>
    Rx,
    /// <summary>Per host, the frames it sent, before faults: <c>NAME.HOST.tx.pcap</c>.</summary>
    Tx,
    /// <summary>Per host, both in one file, as tcpdump on that host shows them: <c>NAME.HOST.rxtx.pcap</c>.</summary>
    Both,
}

public enum CaptureFormat
{
    /// <summary>Classic pcap through libpcap (SharpPcap), written as frames are sent.</summary>
    Pcap,
    /// <summary>pcapng with a comment per frame (step, faults), written when the run ends.</summary>
    PcapNg,
}

/// <summary>Which wire a scenario runs on.</summary>
public enum ScenarioWire
{
    /// <summary>Every host is our stack on a virtual clock: deterministic, and a minute of waiting costs nothing.</summary>
    Virtual,
    /// <summary>Real time, and the host marked <c>played-by: linux</c> is the Linux kernel behind a tap in a
    /// network namespace made for the run. Times get packetdrill-like tolerance.</summary>
    Tap,
}
