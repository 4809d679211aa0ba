using System.Text.RegularExpressions;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Running;

/// <summary>Which scenarios a run plays: a name filter (substring, or a glob with * and ?), then a
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

    public static List<Scenario> Select(IReadOnlyList<Scenario> all, string? filter, (int K, int N)? shard)
    {
        var chosen = filter is null ? all.ToList() : all.Where(s => MatchesName(s.Name, filter)).ToList();
        if (shard is { } sh)
            chosen = chosen.Where((_, i) => i % sh.N == sh.K - 1).ToList();
        return chosen;
    }
}
