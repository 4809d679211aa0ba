using Netstack.Harness.Trace;
using Netstack.Time;

namespace Netstack.Harness.Replay;

/// <summary>The frames of a capture to replay, in time order, with their timestamps relative to the earliest frame.
/// Records out of time order in the file (merged captures, several interfaces) are replayed when they were on the
/// wire; each keeps its file position as its frame number, so reports name the frame Wireshark shows.</summary>
public static class ReplayCapture
{
    /// <summary>The longest capture a replay runs: the limit on a scenario's durations (11.6 days of virtual
    /// time). A frame stamped years after the first would otherwise run every timer of the stack for years.</summary>
    public static readonly Duration MaxSpan = Scenarios.TimeSyntax.MaxDuration;

    /// <summary>Throws <see cref="ReplayInputException"/> for a missing, unreadable, truncated or corrupt file
    /// (with the byte offset <see cref="CaptureFileReader"/> reports) and for an empty one.</summary>
    public static List<ReplayFrame> Load(string path, string? filter = null)
    {
        if (!File.Exists(path)) throw new ReplayInputException($"{path}: no such capture file");
        CaptureFile capture;
        try
        {
            capture = CaptureFileReader.Read(path); // validates the whole file and locates damage
        }
        catch (FormatException e)
        {
            throw new ReplayInputException($"{path}: {e.Message}");
        }
        var records = capture.Records;
        if (records.Count == 0) throw new ReplayInputException($"{path}: the capture holds no frames");
        if (capture.LinkType != PacketDotNet.LinkLayers.Ethernet)
            throw new ReplayInputException($"{path}: link type {capture.LinkType} is not Ethernet (capture on an Ethernet interface, not 'any')");
        var selected = filter is null ? null : ReplayFilter.Select(records, filter);
        var frames = new List<ReplayFrame>(records.Count);
        // The file's stamps are nanoseconds since the Unix epoch; the replay's clock starts at the earliest frame.
        long earliest = records.Min(r => r.TimeNanoseconds);
        for (int i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var (bytes, vlan) = Untagged(r.Bytes);
            var at = Duration.FromNanoseconds(r.TimeNanoseconds - earliest);
            if (at > MaxSpan)
                throw new ReplayInputException($"{path}: frame {i + 1} is {at.WholeSeconds} s after the earliest frame; " +
                                               $"a replay spans at most {MaxSpan.WholeSeconds} s");
            // A frame cut by the snapshot length cannot be injected as it was sent: it is kept, marked, and
            // its flow is left unjudged (ReplayTraffic).
            frames.Add(new ReplayFrame(i + 1, Instant.Zero + at, bytes)
            {
                Vlan = vlan,
                CapturedLength = r.Bytes.Length,
                OriginalLength = r.OriginalLength,
                Filtered = selected is not null && !selected[i],
            });
        }
        // Stable: frames stamped alike stay in file order.
        return frames.OrderBy(f => f.Time).ThenBy(f => f.Number).ToList();
    }

    /// <summary>An 802.1Q-tagged frame without its tag, and the VLAN id (-1 when untagged). Our stack has no
    /// VLAN interface: the replay plays and compares the frames inside the tag.</summary>
    private static (byte[] Bytes, int Vlan) Untagged(byte[] frame)
    {
        if (frame.Length < 18 || frame[12] != 0x81 || frame[13] != 0x00) return (frame, -1);
        int vlan = ((frame[14] & 0x0f) << 8) | frame[15];
        var inner = new byte[frame.Length - 4];
        frame.AsSpan(0, 12).CopyTo(inner);
        frame.AsSpan(16).CopyTo(inner.AsSpan(12));
        return (inner, vlan);
    }
}

/// <summary>Bad input to a replay (file, address, arguments): reported as one line, exit 2.</summary>
public sealed class ReplayInputException(string message) : Exception(message);
