namespace Netstack.Harness.Running;

/// <summary>How to run scenarios: where recordings go, and an optional seed that overrides the file's.</summary>
public sealed record RunOptions
{
    /// <summary>Directory for <c>&lt;scenario&gt;.pcap</c>; null records in memory only.</summary>
    public string? OutputDirectory { get; init; } = "out";
    public ulong? Seed { get; init; }
    public CaptureFormat Format { get; init; } = CaptureFormat.Pcap;
}

public enum CaptureFormat
{
    /// <summary>Classic pcap through libpcap (SharpPcap), written as frames are sent.</summary>
    Pcap,
    /// <summary>pcapng with a comment per frame (step, faults), written when the run ends.</summary>
    PcapNg,
}
