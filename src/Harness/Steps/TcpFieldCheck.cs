using Netstack.Harness.Trace;

namespace Netstack.Harness.Steps;

/// <summary><c>tcp: { flags: S., seq: 0, ack: 1, win: 65535, len: 0 }</c> inside a frame expectation: decoded
/// TCP fields, omitted ones meaning "any". Sequence and acknowledgment numbers are relative to each side's
/// initial sequence number (its SYN in the recording), as tcpdump and Wireshark show them; when no SYN was
/// recorded for a direction they are compared as absolute values.</summary>
public sealed class TcpFieldCheck
{
    public byte? Flags { get; init; }
    public uint? Sequence { get; init; }
    public uint? Acknowledgment { get; init; }
    public ushort? Window { get; init; }
    public int? Length { get; init; }

    public string? Mismatch(CapturedFrame frame, FrameLog log)
    {
        if (TcpView.Read(frame.Bytes) is not { } tcp) return "not a TCP segment";
        if (Flags is { } f && tcp.Flags != f) return $"flags [{TcpView.FlagText(tcp.Flags)}], not [{TcpView.FlagText(f)}]";
        if (Sequence is { } seq)
        {
            uint actual = tcp.Sequence - Isn(log, frame, tcp, reverse: false);
            if (actual != seq) return $"seq {actual}, not {seq}";
        }
        if (Acknowledgment is { } ack)
        {
            if ((tcp.Flags & TcpView.Ack) == 0) return "no ACK flag";
            uint actual = tcp.Acknowledgment - Isn(log, frame, tcp, reverse: true);
            if (actual != ack) return $"ack {actual}, not {ack}";
        }
        if (Window is { } w && tcp.Window != w) return $"win {tcp.Window}, not {w}";
        if (Length is { } len && tcp.PayloadLength != len) return $"length {tcp.PayloadLength}, not {len}";
        return null;
    }

    /// <summary>The ISN of the sender of <paramref name="tcp"/> (or of its peer when <paramref name="reverse"/>):
    /// the sequence number of the last SYN that direction sent at or before this frame; 0 if none.</summary>
    private static uint Isn(FrameLog log, CapturedFrame frame, TcpView tcp, bool reverse) =>
        Isn(log.TcpSyns, frame.Number, tcp, reverse); // only SYNs count: the log's SYN frames, not all of it

    /// <summary>The ISN of a direction: the sequence number of its last SYN among frames numbered up to
    /// <paramref name="upTo"/>; 0 when there is none (numbers are then absolute).</summary>
    public static uint Isn(IReadOnlyList<CapturedFrame> log, int upTo, TcpView tcp, bool reverse)
    {
        uint isn = 0;
        for (int i = 0; i < log.Count && log[i].Number <= upTo; i++)
        {
            if (TcpView.Read(log[i].Bytes) is not { } candidate || (candidate.Flags & TcpView.Syn) == 0) continue;
            if (reverse ? candidate.IsReverseOf(tcp) : candidate.IsFrom(tcp)) isn = candidate.Sequence;
        }
        return isn;
    }

    public string Describe()
    {
        var parts = new List<string>();
        if (Flags is { } f) parts.Add($"[{TcpView.FlagText(f)}]");
        if (Sequence is { } s) parts.Add($"seq {s}");
        if (Acknowledgment is { } a) parts.Add($"ack {a}");
        if (Window is { } w) parts.Add($"win {w}");
        if (Length is { } l) parts.Add($"length {l}");
        return "tcp " + string.Join(" ", parts);
    }
}
