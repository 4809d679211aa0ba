namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>packetdrill's relative numbering for the script's connection. The peer's numbers are written as they go
/// on the wire (its ISN is what its SYN says, usually 0); the stack's are relative to the ISN its first SYN (or
/// SYN-ACK) carried, learned when that segment is matched, and never re-based afterwards (a SYN injected into a live
/// connection keeps the numbering). Timestamps the peer echoes are mapped from the script's first TS val of the stack
/// to the live one, as packetdrill does, so PAWS sees what the script means.</summary>
public sealed class ConnectionNumbering
{
    public uint? LocalIsn { get; private set; }

    /// <summary>live TS val − script TS val of the first outgoing timestamp the script pinned.</summary>
    public uint? TimestampOffset { get; private set; }

    public ushort LocalPort { get; set; }
    public ushort RemotePort { get; set; }

    public void LearnLocalIsn(uint live, uint script)
    {
        LocalIsn ??= live - script;
    }

    public void LearnTimestamp(uint live, uint script)
    {
        TimestampOffset ??= live - script;
    }

    /// <summary>Before the stack's ISN is known (an ACK injected first), numbers are taken as absolute.</summary>
    public uint LocalToLive(uint relative) => relative + (LocalIsn ?? 0);
    public uint LiveToLocal(uint live) => live - (LocalIsn ?? 0);

    /// <summary><c>ecr 0</c> stays 0 (nothing to echo yet); other values move by the learnt offset.</summary>
    public uint EchoToLive(uint scriptEcr) => scriptEcr == 0 ? 0 : scriptEcr + (TimestampOffset ?? 0);
}
