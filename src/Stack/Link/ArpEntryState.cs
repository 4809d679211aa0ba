namespace Netstack.Link;

/// <summary>Where an <see cref="ArpEntry"/> is in resolution.</summary>
public enum ArpEntryState
{
    /// <summary>Requests are out; packets wait in the entry's queue.</summary>
    Incomplete,
    /// <summary>The MAC is known and trusted until <see cref="ArpEntry.ExpiresAt"/>.</summary>
    Reachable,
}
