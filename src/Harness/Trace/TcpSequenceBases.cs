namespace Netstack.Harness.Trace;

/// <summary>The initial sequence numbers that relative TCP numbers count from, as packetdrill and tcpdump number
/// a connection: each direction's ISN is the sequence number of its SYN. A later SYN of the same four-tuple starts
/// a new count only once the connection is over (an acceptable RST either way, or a FIN each way); a SYN or an RST
/// injected blindly into a live connection does not re-base its numbers. An RST is taken as acceptable when its
/// sequence number is exactly what the receiver last acknowledged (RFC 5961 3.2), or the receiver never did. Fed every frame of a recording in order (<see cref="FrameLog"/> does),
/// it stamps each TCP frame with the ISNs in force when it was sent.</summary>
public sealed class TcpSequenceBases
{
    private readonly Dictionary<(Netstack.Wire.IpAddress, ushort, Netstack.Wire.IpAddress, ushort), Direction> _directions = new();

    private sealed class Direction
    {
        public uint Isn;
        public bool SentFin;
        public bool Reset;
        /// <summary>The last acknowledgment number the other direction sent: where an acceptable RST must be.</summary>
        public uint? Acknowledged;
    }

    /// <summary>Notes what the frame tells (a SYN, FIN or RST) and returns the ISN of its sender and of its
    /// receiver in force for it; null for a direction whose SYN was not seen.</summary>
    public (uint? Own, uint? Peer) Observe(in TcpView tcp)
    {
        var key = (tcp.Source, tcp.SourcePort, tcp.Destination, tcp.DestinationPort);
        var reverseKey = (tcp.Destination, tcp.DestinationPort, tcp.Source, tcp.SourcePort);
        _directions.TryGetValue(key, out var own);
        _directions.TryGetValue(reverseKey, out var peer);
        if ((tcp.Flags & TcpView.Syn) != 0)
        {
            if (own is null)
            {
                own = new Direction { Isn = tcp.Sequence };
                _directions[key] = own;
            }
            else if (Over(own, peer))
            {
                // A new connection on this four-tuple: the peer counts afresh from its next SYN.
                own = new Direction { Isn = tcp.Sequence };
                _directions[key] = own;
                _directions.Remove(reverseKey);
                peer = null;
            }
        }
        if ((tcp.Flags & TcpView.Rst) != 0 && (own?.Acknowledged is not uint expected || expected == tcp.Sequence))
        {
            if (own is not null) own.Reset = true;
            if (peer is not null) peer.Reset = true;
        }
        if (own is not null && (tcp.Flags & TcpView.Fin) != 0) own.SentFin = true;
        if (peer is not null && (tcp.Flags & TcpView.Ack) != 0 && (tcp.Flags & TcpView.Rst) == 0) peer.Acknowledged = tcp.Acknowledgment;
        return (own?.Isn, peer?.Isn);
    }

    /// <summary>The ISNs in force now for a segment from (<paramref name="source"/>, <paramref name="sourcePort"/>)
    /// to (<paramref name="destination"/>, <paramref name="destinationPort"/>), without noting anything: what an
    /// injected segment's relative numbers count from.</summary>
    public (uint? Own, uint? Peer) Current(Netstack.Wire.IpAddress source, ushort sourcePort, Netstack.Wire.IpAddress destination, ushort destinationPort)
    {
        _directions.TryGetValue((source, sourcePort, destination, destinationPort), out var own);
        _directions.TryGetValue((destination, destinationPort, source, sourcePort), out var peer);
        return (own?.Isn, peer?.Isn);
    }

    /// <summary>Whether a SYN from this direction now would start a new connection (none yet, or the last one is
    /// over) rather than land in a live one.</summary>
    public bool WouldStartAfresh(Netstack.Wire.IpAddress source, ushort sourcePort, Netstack.Wire.IpAddress destination, ushort destinationPort)
    {
        if (!_directions.TryGetValue((source, sourcePort, destination, destinationPort), out var own)) return true;
        _directions.TryGetValue((destination, destinationPort, source, sourcePort), out var peer);
        return Over(own, peer);
    }

    private static bool Over(Direction a, Direction? b) =>
        a.Reset || b is { Reset: true } || (a.SentFin && b is { SentFin: true });
}
