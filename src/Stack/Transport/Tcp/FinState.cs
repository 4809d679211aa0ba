namespace Netstack.Transport.Tcp;

/// <summary>The FIN bookkeeping of one connection, both ways. A FIN takes one sequence number, goes out after
/// the queued data, may be retransmitted or rewound by a timeout, and the peer's may arrive before the data
/// in front of it: each of those is a fact of its own.</summary>
internal struct FinState
{
    /// <summary>The application closed: a FIN follows the queued data.</summary>
    public bool Queued;
    /// <summary>SND.NXT is past our FIN; a timeout's rewind of SND.NXT clears it.</summary>
    public bool Sent;
    /// <summary><see cref="Sequence"/> is valid: set the first time our FIN went out and kept, so an ACK of it
    /// is recognised even while SND.NXT lags behind after a rewind.</summary>
    public bool HasSequence;
    /// <summary>The sequence number our FIN occupies.</summary>
    public SequenceNumber Sequence;
    /// <summary>The peer acknowledged our FIN.</summary>
    public bool Acked;

    /// <summary>A FIN from the peer arrived, perhaps ahead of data still missing before it.</summary>
    public bool PeerSeen;
    /// <summary>The sequence number of the peer's FIN, valid once <see cref="PeerSeen"/>.</summary>
    public SequenceNumber PeerSequence;
    /// <summary>The peer's FIN is in order and processed: RCV.NXT counts it.</summary>
    public bool Received;
}
