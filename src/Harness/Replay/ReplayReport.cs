namespace Netstack.Harness.Replay;

/// <summary>One compared exchange: a frame the captured endpoint sent (or one only we sent), the peer frame
/// that preceded it in the capture, and how ours compared.</summary>
public sealed record ReplayExchange(int? CapturedNumber, int? TriggerNumber, int? OursNumber, string Description, List<string> Differences)
{
    /// <summary>Differences that are allowed (a policy or padding choice), shown but not counted.</summary>
    public List<string> Tolerated { get; init; } = new();

    /// <summary>A judgement of a whole TCP connection (TcpSemantics) rather than of one frame.</summary>
    public bool Semantic { get; init; }

    /// <summary>The flow the exchange belongs to ("tcp 192.0.2.1:50324 :8080", "arp", ...).</summary>
    public string Flow { get; init; } = "";

    /// <summary>Who played the endpoint: "our stack" or "the Linux kernel".</summary>
    public string Endpoint { get; init; } = "our stack";

    public bool Equivalent => CapturedNumber is not null && (OursNumber is not null || Semantic) && Differences.Count == 0;

    public override string ToString()
    {
        string where = CapturedNumber is { } c
            ? $"frame {c}" + (TriggerNumber is { } t ? $" (after {t})" : "")
            : "extra";
        string verdict = (CapturedNumber, OursNumber) switch
        {
            _ when Semantic => Differences.Count == 0 ? "equivalent" : $"DIFFERENT: {string.Join("; ", Differences)}",
            (null, { } o) => $"DIFFERENT: ours #{o} has no counterpart in the capture",
            (_, null) => $"DIFFERENT: {Endpoint} sent nothing like it",
            _ when Differences.Count == 0 => $"equivalent to ours #{OursNumber}" + (Tolerated.Count > 0 ? $" (tolerated: {string.Join("; ", Tolerated)})" : ""),
            _ => $"DIFFERENT from ours #{OursNumber}: {string.Join("; ", Differences)}",
        };
        return $"{where,-18} {Description}: {verdict}";
    }
}

/// <summary>The outcome of a replay: one line per exchange, notes on what was summarised rather than
/// compared frame by frame, and problems of the replay applications.</summary>
public sealed class ReplayReport
{
    /// <summary>What went wrong before anything could be compared (our stack's ARP unanswered): shown first.</summary>
    public List<string> Headlines { get; } = new();
    public List<ReplayExchange> Exchanges { get; } = new();
    /// <summary>Captured traffic not replayed, one line per kind with a count: never judged.</summary>
    public List<string> Skipped { get; } = new();
    public List<string> Notes { get; } = new();
    public List<string> Problems { get; } = new();
    public string? OutputPath { get; set; }

    public int EquivalentCount => Exchanges.Count(e => e.Equivalent);
    public int DifferentCount => Exchanges.Count(e => !e.Equivalent) + Problems.Count + Headlines.Count;
    public bool Equivalent => DifferentCount == 0;

    public IEnumerable<string> Lines()
    {
        foreach (var h in Headlines) yield return $"DIFFERENT: {h}";
        foreach (var e in Exchanges) yield return e.ToString();
        foreach (var n in Notes) yield return n;
        foreach (var p in Problems) yield return $"DIFFERENT: {p}";
        foreach (var s in Skipped) yield return s;
    }
}
