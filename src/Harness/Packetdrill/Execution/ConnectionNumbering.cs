namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>packetdrill's relative numbering for the script's connection. The peer's ISN is what its first injected
/// SYN (or SYN-ACK) says, written as is; its later numbers, and the stack's acks and SACK blocks of them, count from
/// it (packetdrill's remote_seq offsets: with the usual ISN 0 the same as absolute; <c>&lt; S. 123:123(0)</c> then
/// <c>&lt; . 1:1(0)</c> means 124). The stack's are relative to the ISN its first SYN (or SYN-ACK) carried, learned when that
/// segment is matched, as packetdrill counts them: a SYN's own number moves by live ISN − the script's ISN, every
/// other number (and the peer's acks of them) counts from the live ISN, so <c>&gt; S. 1234:1234(0)</c> then
/// <c>&lt; . 1:1(0) ack 1</c> acks the ISN + 1 whatever ISN the script wrote. A SYN injected into a live connection
/// keeps the numbering; a SYN the stack sends with a new ISN starts a new connection (<see cref="NewConnection"/>). Timestamps the peer echoes are mapped from the script's
/// first TS val of the stack to the live one, as packetdrill does, so PAWS sees what the script means.</summary>
public sealed class ConnectionNumbering
{
    /// <summary>The ISN the stack's SYN (or SYN-ACK) carried on the wire; null before it was matched.</summary>
    public uint? LocalIsn { get; private set; }

    /// <summary>The ISN the script wrote on that SYN (usually 0).</summary>
    private uint _scriptLocalIsn;

    /// <summary>live TS val − script TS val of the first outgoing timestamp the script pinned.</summary>
    public uint? TimestampOffset { get; private set; }

    public ushort LocalPort { get; set; }
    public ushort RemotePort { get; set; }

    /// <summary>The peer's ISN, from its first injected SYN; null before (numbers are then absolute).</summary>
    public uint? RemoteIsn { get; private set; }

    private uint? _lastRemoteSyn;

    public void LearnRemoteIsn(uint isn)
    {
        _lastRemoteSyn = isn;
        RemoteIsn ??= isn;
    }

    /// <summary>The stack sent a SYN (or SYN-ACK) with a new ISN: a new connection (packetdrill's new socket), so
    /// both sides count afresh: the stack's from this ISN, the peer's from its SYN before (passive) or its SYN-ACK to
    /// come (active); the timestamp mapping too (Linux gives each connection its own TS offset).</summary>
    public void NewConnection(uint live, uint script, bool passive)
    {
        (LocalIsn, _scriptLocalIsn) = (live, script);
        RemoteIsn = passive ? _lastRemoteSyn : null;
        TimestampOffset = null;
    }

    /// <summary>A peer sequence number as the script writes it → on the wire (a SYN's is absolute).</summary>
    public uint RemoteToLive(uint script, bool syn) => syn ? script : script + (RemoteIsn ?? 0);

    /// <summary>A peer sequence number on the wire (or the stack's ack of it) → as the script writes it.</summary>
    public uint LiveToRemote(uint live, bool syn) => syn ? live : live - (RemoteIsn ?? 0);

    public void LearnLocalIsn(uint live, uint script)
    {
        if (LocalIsn is not null) return;
        (LocalIsn, _scriptLocalIsn) = (live, script);
    }

    /// <summary>Whether a SYN the stack sent with <paramref name="live"/> for the script's <paramref name="script"/>
    /// is the connection's SYN again (a retransmission keeps its ISN) rather than a new connection's.</summary>
    public bool SameSyn(uint live, uint script) => live - script == LocalIsn - _scriptLocalIsn;

    public void LearnTimestamp(uint live, uint script)
    {
        TimestampOffset ??= live - script;
    }

    /// <summary>A stack sequence number (or the peer's ack of one) as the script writes it → on the wire; in a SYN
    /// (the stack's, or the SYN-ACK acking it) it counts from the script's ISN. Before the stack's ISN is known
    /// (an ACK injected first), numbers are taken as absolute.</summary>
    public uint LocalToLive(uint relative, bool syn = false) => relative + SynShift(syn);

    /// <summary>The inverse of <see cref="LocalToLive"/>.</summary>
    public uint LiveToLocal(uint live, bool syn = false) => live - SynShift(syn);

    private uint SynShift(bool syn) => LocalIsn is uint isn ? isn - (syn ? _scriptLocalIsn : 0) : 0;

    /// <summary><c>ecr 0</c> stays 0 (nothing to echo yet); other values move by the learnt offset.</summary>
    public uint EchoToLive(uint scriptEcr) => scriptEcr == 0 ? 0 : scriptEcr + (TimestampOffset ?? 0);
}
