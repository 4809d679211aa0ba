namespace Netstack.Transport.Tcp;

/// <summary>The connection states of RFC 9293 §3.3.2.</summary>
public enum TcpState
{
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

public static class TcpStateExtensions
{
    /// <summary>States in which both sides' sequence numbers are known (RFC 9293 "synchronized").</summary>
    public static bool IsSynchronized(this TcpState s) => s >= TcpState.SynReceived;
}
