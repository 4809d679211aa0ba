using Netstack.Time;

namespace Netstack.Link;

/// <summary>ARP timing and limits. Defaults follow common practice: 1 s between requests, 3 tries.</summary>
public sealed record ArpOptions
{
    /// <summary>How long a resolved entry is trusted.</summary>
    public Duration EntryLifetime { get; init; } = Duration.FromSeconds(60);
    /// <summary>An entry used within this long of its expiry is re-confirmed with a unicast request.</summary>
    public Duration RefreshBeforeExpiry { get; init; } = Duration.FromSeconds(5);
    /// <summary>Wait between requests for an unresolved address before sending the next one.</summary>
    public Duration RetryInterval { get; init; } = Duration.FromSeconds(1);
    /// <summary>Requests sent for one address before giving up.</summary>
    public int MaxRequests { get; init; } = 3;
    /// <summary>Packets held per unresolved address; the first packet is kept, overflow is dropped.</summary>
    public int PendingQueueLimit { get; init; } = 16;
    /// <summary>Most entries in the cache (resolved or not), so an ARP flood cannot grow it without bound.</summary>
    public int MaxEntries { get; init; } = 1024;
    /// <summary>Announce our address with a gratuitous ARP request when an interface is added.</summary>
    public bool SendGratuitousOnStart { get; init; } = true;
}
