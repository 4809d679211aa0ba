using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Netstack.Harness.Scenarios;

/// <summary>Parses YAML text into a node tree, turning every syntax error into a
/// <see cref="ScenarioFormatException"/> with a usable position. YamlDotNet reports some mistakes poorly
/// (an unclosed <c>{</c> surfaces as InvalidOperationException, a tab in the indentation as line 1 column 1),
/// so this tracks open flow collections and finds tabs itself.</summary>
/// Hostile input is bounded (documented in docs/scenarios.md): at most <see cref="MaxInputBytes"/> of text,
/// collections nested at most <see cref="MaxDepth"/> deep (YamlDotNet builds nodes recursively: 100,000
/// levels overflow the stack), and at most <see cref="MaxExpandedNodes"/> nodes with every alias expanded
/// (an alias of an alias of ... used as a mapping key is hashed node by node: a billion laughs).
internal static class YamlDocumentParser
{
    public const int MaxInputBytes = 4 * 1024 * 1024;
    public const int MaxDepth = 64;
    public const long MaxExpandedNodes = 1_000_000;

    public static YamlStream Parse(string yaml, string file)
    {
        if (yaml.Length > MaxInputBytes)
            throw new ScenarioFormatException(new SourceLocation(file, 1, 1),
                $"the file is larger than {MaxInputBytes / 1024 / 1024} MiB, the limit for a scenario");
        var parser = new TrackingParser(new Parser(new StringReader(yaml)), file);
        var stream = new YamlStream();
        try
        {
            stream.Load(parser);
            return stream;
        }
        catch (YamlException e)
        {
            var location = new SourceLocation(file, (int)e.Start.Line, (int)e.Start.Column);
            if (e.Start.Index == 0 && e.Message.Contains("tab", StringComparison.OrdinalIgnoreCase) && FindIndentTab(yaml) is { } tab)
                location = new SourceLocation(file, tab.Line, tab.Column);
            throw new ScenarioFormatException(location, "YAML syntax error: " + Clean(e.Message));
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            if (parser.OpenFlow.TryPeek(out var open))
                throw new ScenarioFormatException(new SourceLocation(file, (int)open.Line, (int)open.Column),
                    $"YAML syntax error: this {(parser.OpenFlowIsMapping.Peek() ? "'{'" : "'['")} is never closed");
            var last = parser.LastMark;
            throw new ScenarioFormatException(new SourceLocation(file, (int)last.Line, (int)last.Column), "YAML syntax error: invalid YAML after this point");
        }
    }

    private static string Clean(string message)
    {
        var m = System.Text.RegularExpressions.Regex.Replace(message,
            @"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*", "").TrimEnd('.');
        return m.Length > 0 ? char.ToLowerInvariant(m[0]) + m[1..] : "invalid YAML";
    }

    private static (int Line, int Column)? FindIndentTab(string yaml)
    {
        var lines = yaml.Split('\n');
        for (int i = 0; i < lines.Length; i++)
            for (int c = 0; c < lines[i].Length && (lines[i][c] == ' ' || lines[i][c] == '\t'); c++)
                if (lines[i][c] == '\t') return (i + 1, c + 1);
        return null;
    }

    private sealed class TrackingParser(IParser inner, string file) : IParser
    {
        private readonly Stack<(string? Anchor, long ExpandedAtStart)> _open = new();
        private readonly Dictionary<string, long> _anchorSizes = new();
        private long _expanded;

        public Stack<Mark> OpenFlow { get; } = new();
        public Stack<bool> OpenFlowIsMapping { get; } = new();
        public Mark LastMark { get; private set; } = Mark.Empty;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            bool more = inner.MoveNext();
            if (inner.Current is { } current) Bound(current);
            switch (inner.Current)
            {
                case MappingStart { Style: MappingStyle.Flow } m:
                    OpenFlow.Push(m.Start);
                    OpenFlowIsMapping.Push(true);
                    break;
                case SequenceStart { Style: SequenceStyle.Flow } s:
                    OpenFlow.Push(s.Start);
                    OpenFlowIsMapping.Push(false);
                    break;
                case MappingEnd or SequenceEnd when OpenFlow.Count > 0 && IsFlowEnd(inner.Current):
                    OpenFlow.Pop();
                    OpenFlowIsMapping.Pop();
                    break;
            }
            if (inner.Current is { } ev) LastMark = ev.End;
            return more;
        }

        /// <summary>Counts depth and expanded size as the events stream past, and stops at the first event over a
        /// limit, before YamlDotNet recurses into it or hashes it.</summary>
        private void Bound(ParsingEvent ev)
        {
            switch (ev)
            {
                case NodeEvent { } node and (MappingStart or SequenceStart):
                    if (_open.Count >= MaxDepth)
                        throw Limit(ev, $"collections are nested more than {MaxDepth} deep, the limit for a scenario");
                    _open.Push((node.Anchor.IsEmpty ? null : node.Anchor.Value, _expanded));
                    Count(ev, 1);
                    break;
                case MappingEnd or SequenceEnd when _open.Count > 0:
                    var (anchor, start) = _open.Pop();
                    if (anchor is not null) _anchorSizes[anchor] = _expanded - start;
                    break;
                case Scalar scalar:
                    Count(ev, 1);
                    if (!scalar.Anchor.IsEmpty) _anchorSizes[scalar.Anchor.Value] = 1;
                    break;
                case AnchorAlias alias:
                    Count(ev, _anchorSizes.GetValueOrDefault(alias.Value.Value, 1));
                    break;
            }
        }

        private void Count(ParsingEvent ev, long nodes)
        {
            _expanded += nodes;
            if (_expanded > MaxExpandedNodes)
                throw Limit(ev, $"more than {MaxExpandedNodes} YAML nodes with aliases expanded, the limit for a scenario");
        }

        private ScenarioFormatException Limit(ParsingEvent ev, string message) =>
            new(new SourceLocation(file, (int)ev.Start.Line, (int)ev.Start.Column), message);

        // Block collections end with an empty-width event; flow ones end at their closing bracket.
        private static bool IsFlowEnd(ParsingEvent ev) => ev.End.Index > ev.Start.Index;
    }
}
