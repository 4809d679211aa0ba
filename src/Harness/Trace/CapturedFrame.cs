using Netstack.Wire;

namespace Netstack.Harness.Trace;

/// <summary>One frame as recorded: its number in the capture file (1-based, as Wireshark counts), when it
/// was put on the wire, which host sent it, on which segment, and a copy of its bytes.</summary>
public sealed class CapturedFrame(int number, long timeNanoseconds, string host, string? segment, byte[] bytes)
{
    public int Number { get; } = number;
    public long TimeNanoseconds { get; } = timeNanoseconds;
    public string Host { get; } = host;
    public string? Segment { get; } = segment;
    public byte[] Bytes { get; } = bytes;

    public MacAddress Destination => Bytes.Length >= 6 ? MacAddress.Read(Bytes) : MacAddress.Zero;
    public MacAddress Source => Bytes.Length >= 12 ? MacAddress.Read(Bytes.AsSpan(6)) : MacAddress.Zero;

    /// <summary>Notes added after the frame was sent (a fault the wire applied, the step that caused it).</summary>
    public List<string> Notes { get; } = new();
}
