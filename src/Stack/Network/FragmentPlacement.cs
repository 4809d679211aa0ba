namespace Netstack.Network;

/// <summary>How a fragment relates to the ranges of its datagram already received.</summary>
internal enum FragmentPlacement
{
    /// <summary>It covers bytes not received yet and overlaps nothing.</summary>
    New,
    /// <summary>The same range arrived before: nothing new, the copy held stands.</summary>
    Duplicate,
    /// <summary>It overlaps a range received before without being the same: the datagram is discarded.</summary>
    Overlap,
}
