using Netstack.Time;

namespace Netstack.Network;

/// <summary>IPv4 tunables: TTL, forwarding, and reassembly limits.</summary>
public sealed record Ipv4Options : IReassemblyLimits
{
    /// <summary>TTL in hops of the datagrams we originate (64, as Linux).</summary>
    public byte DefaultTimeToLive { get; init; } = 64;
    /// <summary>Forward datagrams not addressed to us (act as a router between interfaces).</summary>
    public bool Forwarding { get; init; }
    /// <summary>How long fragments of an incomplete datagram are kept (RFC 1122 suggests 60–120 s; Linux uses 30 s).</summary>
    public Duration ReassemblyTimeout { get; init; } = Duration.FromSeconds(30);
    /// <summary>Bytes of reassembly buffers held at once; beyond it new fragments are dropped.</summary>
    public int ReassemblyMemoryLimit { get; init; } = 4 * 1024 * 1024;
    /// <summary>Datagrams being reassembled at once.</summary>
    public int MaxReassemblies { get; init; } = 256;
}
