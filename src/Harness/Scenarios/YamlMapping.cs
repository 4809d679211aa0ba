using System.Globalization;
using YamlDotNet.RepresentationModel;
using Netstack.Time;

namespace Netstack.Harness.Scenarios;

/// <summary>Reads one YAML mapping of a scenario with precise errors: every key must be known, every value of
/// the right shape, and each mistake names the line and column where it was written.</summary>
internal sealed class YamlMapping
{
    private readonly string _file;
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();

    public YamlMapping(string file, YamlNode node, string what)
    {
        _file = file;
        if (node is not YamlMappingNode map)
            throw Error(file, node, $"{what} must be a mapping of key: value, found {Shape(node)}");
        Node = map;
        What = what;
        foreach (var (k, v) in map.Children)
        {
            if (k is not YamlScalarNode key || key.Value is null)
                throw Error(file, k, $"keys in {what} must be plain words");
            if (!_entries.TryAdd(key.Value, (key, v)))
                throw Error(file, k, $"duplicate key '{key.Value}' in {what}");
            _order.Add(key.Value);
        }
    }

    public YamlMappingNode Node { get; }
    public string What { get; }
    public IReadOnlyList<string> Keys => _order;
    public SourceLocation Location => At(Node);

    public bool Has(string key) => _entries.ContainsKey(key);

    /// <summary>The key this mapping writes a value under, when the value also has an old name: <paramref name="key"/>,
    /// or <paramref name="oldName"/> when only that is given. The old name <c>on</c> is still read, but YAML 1.1 tools
    /// (editors, validators, PyYAML) read a key <c>on</c> as the boolean true, so the docs and shipped files use the new
    /// name. Giving both is a mistake.</summary>
    public string KeyOf(string key, string oldName)
    {
        if (Has(key) && Has(oldName))
            throw Error(_file, _entries[oldName].Key, $"'{oldName}' is the old name of '{key}': give one of them");
        return Has(oldName) ? oldName : key;
    }
    public YamlNode? Get(string key) => _entries.TryGetValue(key, out var e) ? e.Value : null;
    public YamlScalarNode KeyNode(string key) => _entries[key].Key;

    /// <summary>Rejects every key outside <paramref name="allowed"/> (all of them at once), suggesting the closest
    /// known one.</summary>
    public void AllowOnly(params string[] allowed)
    {
        // 'on' is only ever an old name now (KeyOf): messages offer the new one.
        var offered = allowed.Where(k => k != "on").ToArray();
        var unknown = _order.Where(key => Array.IndexOf(allowed, key) < 0)
            .Select(key => Error(_file, _entries[key].Key, UnknownMessage($"key '{key}' in {What}", key, offered))).ToList();
        if (unknown.Count > 0) throw ScenarioFormatException.Of(unknown);
    }

    public static string UnknownMessage(string what, string given, IEnumerable<string> known)
    {
        var list = known.ToList();
        var suggestion = Suggest(given, list);
        return suggestion is not null
            ? $"unknown {what}; did you mean '{suggestion}'?"
            : $"unknown {what} (expected one of: {string.Join(", ", list)})";
    }

    public string? String(string key) => Get(key) is { } n ? Scalar(n, key) : null;

    public string RequiredString(string key) =>
        String(key) ?? throw Error(_file, Node, $"{What} needs '{key}'");

    public string Scalar(YamlNode node, string key)
    {
        if (node is not YamlScalarNode s || s.Value is null)
            throw Error(_file, node, $"'{key}' must be a single value, found {Shape(node)}");
        return s.Value;
    }

    public long? Integer(string key, long min = long.MinValue, long max = long.MaxValue)
    {
        if (Get(key) is not { } node) return null;
        var text = Scalar(node, key);
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
            throw Error(_file, node, $"'{key}' must be a whole number, found '{text}'");
        if (v < min || v > max)
            throw Error(_file, node, $"'{key}' must be between {min} and {max}, found {v}");
        return v;
    }

    public bool? Boolean(string key)
    {
        if (Get(key) is not { } node) return null;
        return Scalar(node, key) switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            var t => throw Error(_file, node, $"'{key}' must be true or false, found '{t}'"),
        };
    }

    /// <summary>A duration such as 250ms or 1.5s, exact to the nanosecond.</summary>
    public Duration? Duration(string key)
    {
        if (Get(key) is not { } node) return null;
        var text = Scalar(node, key);
        if (TimeSyntax.IsTooLongDuration(text))
            throw Error(_file, node, $"time '{text}' for '{key}' is too large: at most {TimeSyntax.MaxDuration.WholeSeconds}s");
        if (!TimeSyntax.TryParseDuration(text, out var duration))
            throw Error(_file, node, $"bad time '{text}' for '{key}': expected a number with a unit (ns, us, ms, s, m), like 250ms or 1.5s");
        return duration;
    }

    public SourceLocation At(YamlNode node) => new(_file, (int)node.Start.Line, (int)node.Start.Column);

    public ScenarioFormatException ErrorAt(YamlNode node, string message) => Error(_file, node, message);

    public static ScenarioFormatException Error(string file, YamlNode node, string message) =>
        new(new SourceLocation(file, (int)node.Start.Line, (int)node.Start.Column), message);

    public static string Shape(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: null or "" } => "nothing",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "something else",
    };

    /// <summary>The closest known word that looks like a typo of <paramref name="given"/>: at most 2 edits, and
    /// no more than half its length (so 'c' does not suggest 'a').</summary>
    public static string? Suggest(string given, IEnumerable<string> known)
    {
        string? best = null;
        int bestDistance = 3;
        foreach (var k in known)
        {
            int d = EditDistance(given, k);
            if (d < bestDistance && d * 2 <= Math.Max(given.Length, k.Length))
            {
                bestDistance = d;
                best = k;
            }
        }
        return best;
    }

    private static int EditDistance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) row[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int up = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = up;
            }
        }
        return row[b.Length];
    }
}
