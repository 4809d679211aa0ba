namespace Netstack.Link;

/// <summary>A network device as the stack sees it: frames go out through <see cref="Transmit"/> and
/// come in through the attached receiver. Decorators (recorders, fault injectors) wrap a link.</summary>
public interface ILink
{
    /// <summary>Largest IP packet the link carries (Ethernet payload), normally 1500.</summary>
    int Mtu { get; }

    /// <summary>Sends one Ethernet frame. The link copies what it needs before returning.</summary>
    void Transmit(ReadOnlySpan<byte> frame);

    /// <summary>Sets who gets received frames. Frames are delivered on the event loop thread.</summary>
    void Attach(IFrameReceiver receiver);
}

/// <summary>Whatever a <see cref="ILink"/> delivers received frames to; a <see cref="NetworkInterface"/> in the
/// stack.</summary>
public interface IFrameReceiver
{
    /// <summary>One received Ethernet frame; valid only for the duration of the call.</summary>
    void ReceiveFrame(ReadOnlySpan<byte> frame);

    /// <summary>One received frame whose TCP/UDP/ICMP checksum the device has already verified or completed
    /// itself (receive checksum offload, Linux's CHECKSUM_UNNECESSARY), when
    /// <paramref name="transportChecksumVerified"/>: the stack need not sum the payload again. The frame's
    /// bytes must still be a valid frame. Receivers that do not care verify as usual.</summary>
    void ReceiveFrame(ReadOnlySpan<byte> frame, bool transportChecksumVerified) => ReceiveFrame(frame);
}
