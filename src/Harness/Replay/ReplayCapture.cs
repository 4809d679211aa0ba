using Netstack.Harness.Trace;

namespace Netstack.Harness.Replay;

/// <summary>The frames of a capture to replay, with their timestamps relative to the first frame.</summary>
public static class ReplayCapture
{
    /// <summary>The longest capture a replay runs: the limit on a scenario's durations (11.6 days of virtual
    /// time). A frame stamped years after the first would otherwise run every timer of the stack for years.</summary>
    public const long MaxSpanNanoseconds = Scenarios.TimeSyntax.MaxDurationNanoseconds;

    /// <summary>Throws <see cref="ReplayInputException"/> for a missing, unreadable, truncated or corrupt file
    /// (with the byte offset <see cref="CaptureFileReader"/> reports) and for an empty one.</summary>
    public static List<ReplayFrame> Load(string path)
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
        var frames = new List<ReplayFrame>(records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            var r = records[i];
            // A frame cut by the snapshot length cannot be injected as it was sent.
            if (r.IsTruncated)
                throw new ReplayInputException($"{path}: frame {i + 1} was captured truncated ({r.Bytes.Length} of {r.OriginalLength} bytes; record with -s 0)");
            long at = r.TimeNanoseconds - records[0].TimeNanoseconds;
            if (at is > MaxSpanNanoseconds or < -MaxSpanNanoseconds)
                throw new ReplayInputException($"{path}: frame {i + 1} is {at / 1_000_000_000} s from the first frame; " +
                                               $"a replay spans at most {MaxSpanNanoseconds / 1_000_000_000} s");
            frames.Add(new ReplayFrame(i + 1, at, r.Bytes));
        }
        return frames;
    }
}

/// <summary>Bad input to a replay (file, address, arguments): reported as one line, exit 2.</summary>
public sealed class ReplayInputException(string message) : Exception(message);
