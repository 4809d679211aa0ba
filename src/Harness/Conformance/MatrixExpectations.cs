using System.Text.RegularExpressions;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Conformance;

/// <summary>What each cell of the matrix is expected to be, one line per cell that is not a plain pass:
/// <code>
/// conf-udp-closed-port slirp: differs: S1, RFC 1122 3.2.1.3(g) (ICMP error from 127.0.0.1)
/// conf-tcp-zero-window ours: n/a: why
/// </code>
/// A cell not listed is expected to pass. A new difference fails the judgement; so does a documented one that no
/// longer shows (the file should be updated), and a cell of another kind than the one listed.</summary>
public sealed partial class MatrixExpectations
{
    public enum Kind
    {
        Pass,
        Differs,
        NotApplicable,
    }

    public sealed record Entry(Kind Kind, string? Reference, SourceLocation Location);

    [GeneratedRegex(@"^(?<scenario>[A-Za-z0-9][A-Za-z0-9._-]*)\s+(?<impl>[A-Za-z0-9_-]+):\s*(?<kind>pass|differs|n/a)\s*(:\s*(?<ref>.*))?$")]
    private static partial Regex LinePattern();

    private readonly Dictionary<(string Scenario, string Implementation), Entry> _entries = new();

    public string File { get; }

    private MatrixExpectations(string file) => File = file;

    public static MatrixExpectations Load(string path)
    {
        var e = new MatrixExpectations(path);
        var lines = System.IO.File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var where = new SourceLocation(path, i + 1, 1);
            var m = LinePattern().Match(line);
            if (!m.Success)
                throw new ScenarioFormatException(where, $"expected 'SCENARIO IMPLEMENTATION: pass | differs: REFERENCE | n/a: REASON', found '{line}'");
            var kind = m.Groups["kind"].Value switch { "pass" => Kind.Pass, "differs" => Kind.Differs, _ => Kind.NotApplicable };
            var reference = m.Groups["ref"].Success ? m.Groups["ref"].Value.Trim() : null;
            if (kind == Kind.Differs && string.IsNullOrEmpty(reference))
                throw new ScenarioFormatException(where, "a documented difference needs its reference: 'differs: S1, RFC 1122 3.2.1.3'");
            var key = (m.Groups["scenario"].Value, m.Groups["impl"].Value);
            if (!e._entries.TryAdd(key, new Entry(kind, reference, where)))
                throw new ScenarioFormatException(where, $"{key.Item1} {key.Item2} is listed twice (first at line {e._entries[key].Location.Line})");
        }
        return e;
    }

    public Entry For(string scenario, string implementation) =>
        _entries.TryGetValue((scenario, implementation), out var entry) ? entry : new Entry(Kind.Pass, null, new SourceLocation(File, 0, 0));

    /// <summary>Null when <paramref name="cell"/> is as expected; otherwise what is unexpected about it.</summary>
    public string? Judge(MatrixCell cell)
    {
        var want = For(cell.Scenario, cell.Implementation);
        return (want.Kind, cell.Outcome) switch
        {
            (Kind.Pass, CellOutcome.Pass) or (Kind.Differs, CellOutcome.Fail) or (Kind.NotApplicable, CellOutcome.NotApplicable) => null,
            // No verdict either way: listed under the table with why, but not a surprise.
            (Kind.Pass or Kind.Differs, CellOutcome.Inconclusive) => null,
            (Kind.Pass, CellOutcome.Fail) => $"NEW difference (not in {File}): {cell.Summary}",
            (Kind.Differs, CellOutcome.Pass) => $"the documented difference ({want.Reference}, {want.Location}) no longer shows: update {File}",
            (_, CellOutcome.NotApplicable) => $"expected {Word(want.Kind)}, but not applicable: {cell.Summary}",
            _ => $"expected n/a ({want.Location}), but it ran: {cell.Word} {cell.Summary}",
        };
    }

    /// <summary>The cells the file lists that <paramref name="cells"/> do not have (a renamed scenario, a typo).</summary>
    public IEnumerable<string> Unmatched(IReadOnlyList<MatrixCell> cells, IReadOnlyCollection<string> scenarios, IReadOnlyCollection<string> implementations) =>
        _entries.Where(e => scenarios.Contains(e.Key.Scenario) && implementations.Contains(e.Key.Implementation) &&
                            !cells.Any(c => c.Scenario == e.Key.Scenario && c.Implementation == e.Key.Implementation))
            .Select(e => $"{e.Value.Location}: no cell {e.Key.Scenario} {e.Key.Implementation}");

    private static string Word(Kind kind) => kind switch { Kind.Pass => "pass", Kind.Differs => "a difference", _ => "n/a" };
}
