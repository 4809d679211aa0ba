using Netstack.Time;

namespace Netstack.Cli.Live;

/// <summary>What one `--serve` TCP service allows each peer, so that slow or silent clients (slowloris,
/// readers that never read) cannot hold memory and connections for ever. Documented in the README.</summary>
public sealed record ConnectionLimits
{
    public static readonly ConnectionLimits Default = new();

    /// <summary>How long an HTTP request head may take to arrive in full, counted from when the server starts
    /// waiting for it (after accepting, or after the previous response on a persistent connection).</summary>
    public Duration HeaderTimeout { get; init; } = Duration.FromSeconds(10);

    /// <summary>How long a connection may go without a read or write completing (a silent client, or one that
    /// stops reading our response).</summary>
    public Duration IdleTimeout { get; init; } = Duration.FromSeconds(60);

    /// <summary>Connections open at once per service; accepting one more resets the least recently active.</summary>
    public int MaxConnections { get; init; } = 256;
}
