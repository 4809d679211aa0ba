namespace Netstack.Link;

/// <summary>Neighbour Unreachability Detection states of a cache entry (RFC 4861 §7.3.2).</summary>
public enum NeighborState
{
    /// <summary>Solicitations are out; packets wait in the entry's queue.</summary>
    Incomplete,
    /// <summary>Reachability was confirmed less than ReachableTime ago.</summary>
    Reachable,
    /// <summary>The MAC is known but unconfirmed; the next packet sent starts DELAY.</summary>
    Stale,
    /// <summary>A packet went out to a stale neighbour; a probe follows unless something confirms it.</summary>
    Delay,
    /// <summary>Unicast solicitations are out to confirm the neighbour.</summary>
    Probe,
}
