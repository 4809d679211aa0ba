using Netstack.Api;
using Netstack.Harness.Running;
using Netstack.Wire;
using Netstack.Time;

namespace Netstack.Harness.Steps;

/// <summary><c>expect: { ping: a, replies: 1, status: success, seq: 1, rtt: 4ms, reply-from: 192.0.2.11 }</c>:
/// checked once every ping the host was asked to send has completed (or at <c>at:</c>).</summary>
public sealed class PingExpectation : StateExpectation
{
    public required string Host { get; init; }
    public int? Replies { get; init; }
    public PingOutcome? Status { get; init; }
    public int? Sequence { get; init; }
    public Duration? RoundTrip { get; init; }
    /// <summary>Who answered, either family: <c>reply-from: 192.0.2.11</c>, <c>b</c> (b's IPv4 address), <c>b/ip6</c> or
    /// <c>2001:db8::b</c>.</summary>
    public IpAddress? ReplyFrom { get; init; }

    public override bool IsSettled(ScenarioRun run) => run.Host(Host).PingResults.Count >= run.Host(Host).PingsExpected;

    public override string? Check(ScenarioRun run)
    {
        var results = run.Host(Host).PingResults;
        int expected = run.Host(Host).PingsExpected;
        var considered = Sequence is { } seq ? results.Where(r => r.Sequence == seq).ToList() : results.ToList();
        if (Sequence is not null && considered.Count == 0)
            return $"ping seq {Sequence} from {Host} has no result yet ({Summary(results, expected)})";
        if (Replies is { } n)
        {
            int got = considered.Count(r => r.Status == PingStatus.Success);
            if (got != n) return $"{got} repl{(got == 1 ? "y" : "ies")} ({Summary(results, expected)})";
        }
        if (Status is { } status)
        {
            if (Sequence is null && results.Count < expected)
                return $"{expected - results.Count} ping(s) still outstanding ({Summary(results, expected)})";
            foreach (var r in considered)
                if (!status.Matches(r)) return $"seq {r.Sequence}: {PingOutcome.Name(r)} ({Summary(results, expected)})";
        }
        if (RoundTrip is { } rtt)
            foreach (var r in considered)
                if (r.Status != PingStatus.Success || (r.RoundTripTime - rtt).Abs() > run.Tolerance(rtt))
                    return $"seq {r.Sequence}: {(r.Status == PingStatus.Success ? $"rtt {r.RoundTripTime.TotalMilliseconds:0.###}ms" : PingOutcome.Name(r))} ({Summary(results, expected)})";
        if (ReplyFrom is { } from)
            foreach (var r in considered)
                if (r.Responder != from) return $"seq {r.Sequence}: answered by {r.Responder?.ToString() ?? "nobody"} ({Summary(results, expected)})";
        return null;
    }

    private static string Summary(IReadOnlyList<PingResult> results, int expected)
    {
        if (results.Count == 0) return $"0 of {expected} pings completed";
        return $"{results.Count} of {expected} completed: " + string.Join("; ", results.Select(r => r.ToString()));
    }

    public override string Describe()
    {
        var parts = new List<string>();
        if (Replies is { } n) parts.Add($"{n} repl{(n == 1 ? "y" : "ies")}");
        if (Status is { } s) parts.Add($"status {s}");
        if (RoundTrip is { } rtt) parts.Add($"rtt {rtt.TotalMilliseconds:0.###}ms");
        if (ReplyFrom is { } f) parts.Add($"reply from {f}");
        return $"ping from {Host}{(Sequence is { } q ? $" seq {q}" : "")}: {string.Join(", ", parts)}";
    }
}

/// <summary>A ping outcome as scenarios name it: success, timeout, unreachable (any code), host-unreachable,
/// net-unreachable, port-unreachable, protocol-unreachable, time-exceeded, no-route, too-big.</summary>
public readonly record struct PingOutcome(string Text)
{
    public static readonly string[] Names =
    [
        "success", "timeout", "unreachable", "net-unreachable", "host-unreachable", "protocol-unreachable",
        "port-unreachable", "time-exceeded", "no-route", "too-big",
    ];

    public bool Matches(PingResult r) => Text switch
    {
        "unreachable" => r.Status == PingStatus.DestinationUnreachable,
        _ => Name(r) == Text,
    };

    public static string Name(PingResult r) => r.Status switch
    {
        PingStatus.Success => "success",
        PingStatus.TimedOut => "timeout",
        PingStatus.TimeExceeded => "time-exceeded",
        PingStatus.NoRoute => "no-route",
        PingStatus.TooBig => "too-big",
        PingStatus.DestinationUnreachable => (UnreachableCode)r.IcmpCode switch
        {
            UnreachableCode.Network => "net-unreachable",
            UnreachableCode.Host => "host-unreachable",
            UnreachableCode.Protocol => "protocol-unreachable",
            UnreachableCode.Port => "port-unreachable",
            _ => $"unreachable (code {r.IcmpCode})",
        },
        _ => r.Status.ToString(),
    };

    public override string ToString() => Text;
}
