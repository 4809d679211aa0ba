namespace Netstack.Network;

/// <summary>ICMP tunables. Errors are rate-limited (RFC 1812 §4.3.2.8, RFC 1122 §3.2.2 "SHOULD") by a token
/// bucket shared by all destinations, with Linux's defaults (net.ipv4.icmp_msgs_per_sec, icmp_msgs_burst):
/// a flood of datagrams to a closed port cannot turn the host into an ICMP flood. Echo replies are not limited.</summary>
public sealed record IcmpOptions
{
    /// <summary>Errors per second once the burst is spent; 0 turns the limit off.</summary>
    public int ErrorsPerSecond { get; init; } = 1000;

    /// <summary>Errors that may leave at once after a quiet spell.</summary>
    public int ErrorBurst { get; init; } = 50;
}
