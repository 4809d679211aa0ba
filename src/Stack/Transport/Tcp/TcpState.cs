namespace Netstack.Transport.Tcp;

/// <summary>The connection states of RFC 9293 §3.3.2.</summary>
public enum TcpState
{
    /// <summary>No connection (fictional in RFC 9293: there is no control block).</summary>
    Closed,
    /// <summary>Waiting for a SYN from any peer.</summary>
    Listen,
    /// <summary>Our SYN sent; waiting for a matching SYN.</summary>
    SynSent,
    /// <summary>SYN received and SYN-ACK sent; waiting for the ACK of our SYN.</summary>
    SynReceived,
    /// <summary>Open: data flows both ways.</summary>
    Established,
    /// <summary>Our FIN sent; waiting for its ACK or the peer's FIN.</summary>
    FinWait1,
    /// <summary>Our FIN acknowledged; waiting for the peer's FIN.</summary>
    FinWait2,
    /// <summary>The peer's FIN received; waiting for the application to close.</summary>
    CloseWait,
    /// <summary>Both FINs sent at once; waiting for the ACK of ours.</summary>
    Closing,
    /// <summary>The peer closed first and our FIN is sent; waiting for its ACK.</summary>
    LastAck,
    /// <summary>Both FINs acknowledged; waiting 2 MSL so stray segments die (RFC 9293 §3.6).</summary>
    TimeWait,
}

/// <summary>Predicates over <see cref="TcpState"/>.</summary>
public static class TcpStateExtensions
{
    /// <summary>States in which both sides' sequence numbers are known (RFC 9293 "synchronized").</summary>
    public static bool IsSynchronized(this TcpState s) => s >= TcpState.SynReceived;
}
