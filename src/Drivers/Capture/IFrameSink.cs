using Netstack.Time;

namespace Netstack.Drivers.Capture;

public enum FrameDirection
{
    /// <summary>Sent by the host whose link is captured.</summary>
    Outbound,
    /// <summary>Received by that host.</summary>
    Inbound,
}

/// <summary>Where captured frames go: a pcap file, an in-memory log for assertions, or several.</summary>
public interface IFrameSink
{
    void Write(Instant time, ReadOnlySpan<byte> frame, in FrameContext context);
}

/// <summary>What is known about a captured frame besides its bytes.</summary>
public readonly record struct FrameContext(string Host, FrameDirection Direction, string? Comment = null);
