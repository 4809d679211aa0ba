using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Trace;

/// <summary>One frame as recorded: its number in the capture file (1-based, as Wireshark counts), when it
/// was put on the wire, which host sent it, on which segment, and a copy of its bytes.</summary>
public sealed class CapturedFrame(int number, Instant time, string host, string? segment, byte[] bytes)
{
    public int Number { get; } = number;
    public Instant Time { get; } = time;
    public string Host { get; } = host;
    public string? Segment { get; } = segment;
    public byte[] Bytes { get; } = bytes;

    public MacAddress Destination => Bytes.Length >= 6 ? MacAddress.Read(Bytes) : MacAddress.Zero;
    public MacAddress Source => Bytes.Length >= 12 ? MacAddress.Read(Bytes.AsSpan(6)) : MacAddress.Zero;

    /// <summary>The scenario step that sent it, when it was sent synchronously by one ("step 12:5 ping from a to b").</summary>
    public string? Step { get; set; }

    /// <summary>What happened to it on the wire (a fault, a link that was down). Stable text, no file positions,
    /// so golden traces do not change when a scenario file is edited elsewhere.</summary>
    public List<string> Notes => _notes ??= new(); // made on first use: most frames have none, and a run records thousands
    private List<string>? _notes;

    /// <summary>True when the frame was captured as it reached <see cref="Host"/> (a host's rx capture); false when
    /// captured as its host sent it.</summary>
    public bool Inbound { get; init; }

    /// <summary>What the recorder worked out about the frame after the run (TCP retransmissions): comments in a pcapng
    /// recording, but not part of golden traces.</summary>
    public List<string> Annotations => _annotations ??= new();
    private List<string>? _annotations;

    /// <summary>Step, notes and annotations, as pcapng comments carry them.</summary>
    public IEnumerable<string> Comments
    {
        get
        {
            if (Step is not null) yield return Step;
            foreach (var n in _notes ?? []) yield return n;
            foreach (var a in _annotations ?? []) yield return a;
        }
    }

    /// <summary>For a TCP segment: the initial sequence numbers of its sender and receiver that its relative numbers
    /// count from (<see cref="TcpSequenceBases"/>), null where that direction's SYN was not recorded. Set when the frame
    /// is recorded.</summary>
    public (uint? Own, uint? Peer) TcpBases { get; set; }
}
