using System.Text.RegularExpressions;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Running;

/// <summary>Which scenarios a run plays: name filters (each a substring, or a glob with * and ?; a name matching
/// any is chosen), then a
/// deterministic shard K of N (round robin over the ordinally sorted files) so CI jobs split the set.</summary>
public static class ScenarioSelection
{
    public static bool TryParseShard(string text, out int k, out int n)
    {
        k = n = 0;
        var m = Regex.Match(text, @"^(\d+)/(\d+)$");
        if (!m.Success || !int.TryParse(m.Groups[1].Value, out k) || !int.TryParse(m.Groups[2].Value, out n)) return false;
        return n >= 1 && k >= 1 && k <= n;
    }

    public static bool MatchesName(string name, string filter)
    {
        if (filter.IndexOfAny(['*', '?']) < 0) return name.Contains(filter, StringComparison.Ordinal);
        var pattern = "^" + Regex.Escape(filter).Replace(@"\*", ".*").Replace(@"\?", ".") + "$";
        return Regex.IsMatch(name, pattern);
    }

    /// <summary>Whether <paramref name="name"/> matches any of <paramref name="filters"/> (all names match none given).</summary>
    public static bool MatchesAny(string name, IReadOnlyList<string>? filters) =>
        filters is not { Count: > 0 } || filters.Any(f => MatchesName(name, f));

    /// <summary>The values of repeated <c>--filter</c> options, each also a comma-separated list.</summary>
    public static List<string> SplitFilters(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).Distinct().ToList();

    public static List<Scenario> Select(IReadOnlyList<Scenario> all, IReadOnlyList<string>? filters, (int K, int N)? shard)
    {
        var chosen = all.Where(s => MatchesAny(s.Name, filters)).ToList();
        if (shard is { } sh)
            chosen = chosen.Where((_, i) => i % sh.N == sh.K - 1).ToList();
        return chosen;
    }
}
