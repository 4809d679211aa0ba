namespace Netstack.Harness.Reports;

/// <summary>Reads the notes the wire's faults and links leave on recorded frames (see WireFaults and
/// ScenarioRun): which hosts a frame never reached, and what else happened to it on the way.</summary>
public static class FrameNotes
{
    public static bool IsLoss(string note) => note.StartsWith("dropped toward ", StringComparison.Ordinal) || note.StartsWith("lost", StringComparison.Ordinal);
    public static bool IsCorruption(string note) => note.StartsWith("corrupted toward ", StringComparison.Ordinal);
    public static bool IsDuplication(string note) => note.StartsWith("duplicated toward ", StringComparison.Ordinal);
    public static bool IsDelay(string note) => note.StartsWith("delayed ", StringComparison.Ordinal) || note.StartsWith("held back toward ", StringComparison.Ordinal);
    public static bool IsTruncation(string note) => note.StartsWith("truncated toward ", StringComparison.Ordinal);

    /// <summary>The host a note is about ("dropped toward b (fault #1)" is about b); null when it names none,
    /// or every receiver (a sender's link that was down).</summary>
    public static string? Target(string note)
    {
        int at = note.IndexOf(" toward ", StringComparison.Ordinal);
        if (at < 0) return null;
        int start = at + " toward ".Length;
        int end = start;
        while (end < note.Length && note[end] is not (' ' or ':' or '(')) end++;
        return end > start ? note[start..end] : null;
    }

    /// <summary>The kind of fault, as one word for a marker's class and legend.</summary>
    public static string? Kind(string note) =>
        IsLoss(note) ? "drop" : IsCorruption(note) ? "corrupt" : IsDuplication(note) ? "dup" : IsDelay(note) ? "delay" : IsTruncation(note) ? "trunc" : null;
}
