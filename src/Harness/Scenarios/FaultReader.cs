using System.Globalization;
using Netstack.Harness.Faults;
using Netstack.Harness.Trace;
using YamlDotNet.RepresentationModel;
using Netstack.Time;

namespace Netstack.Harness.Scenarios;

/// <summary>Reads the <c>faults:</c> list: each entry names one action with the tcpdump filter of the frames it
/// applies to (<c>drop: "icmp"</c>), plus direction, time window and selection.</summary>
internal sealed class FaultReader(ScenarioReferences refs, FrameFilterCache filters)
{
    public static readonly string[] ActionKeys = ["drop", "duplicate", "delay", "reorder", "corrupt", "truncate"];
    private static readonly string[] CommonKeys = ["from", "to", "segment", "on", "at", "nth", "count", "probability"];

    private static readonly Dictionary<FaultAction, string[]> ExtraKeys = new()
    {
        [FaultAction.Drop] = [],
        [FaultAction.Duplicate] = ["copies", "by"],
        [FaultAction.Delay] = ["by"],
        [FaultAction.Reorder] = ["by"],
        [FaultAction.Corrupt] = ["offset", "bit"],
        [FaultAction.Truncate] = ["length"],
    };

    /// <summary>Reads every fault, collecting each one's mistakes into <paramref name="errors"/>.</summary>
    public List<FaultRule> Read(YamlMapping root, YamlNode node, LoadErrors errors)
    {
        if (node is not YamlSequenceNode seq)
        {
            errors.Add(root.ErrorAt(node, $"'faults' must be a list (each item starting with '- '), found {YamlMapping.Shape(node)}"));
            return [];
        }
        var rules = new List<FaultRule>();
        for (int i = 0; i < seq.Children.Count; i++)
        {
            int number = i + 1;
            if (errors.Try(() => Read(seq.Children[i], number), null) is { } rule) rules.Add(rule);
        }
        return rules;
    }

    private FaultRule Read(YamlNode node, int number)
    {
        var m = new YamlMapping(refs.File, node, "a fault");
        var actions = m.Keys.Where(k => Array.IndexOf(ActionKeys, k) >= 0).ToList();
        if (actions.Count == 0)
        {
            var unknown = m.Keys.FirstOrDefault(k => Array.IndexOf(CommonKeys, k) < 0);
            if (unknown is not null && YamlMapping.Suggest(unknown, ActionKeys) is { } s)
                throw m.ErrorAt(m.KeyNode(unknown), $"unknown fault '{unknown}'; did you mean '{s}'?");
            throw m.ErrorAt(node, $"a fault needs one action with a filter, like drop: \"icmp\" ({string.Join(", ", ActionKeys)})");
        }
        if (actions.Count > 1)
            throw m.ErrorAt(m.KeyNode(actions[1]), $"a fault does one thing: found both '{actions[0]}' and '{actions[1]}'");
        var action = Enum.Parse<FaultAction>(actions[0], ignoreCase: true);
        m.AllowOnly([actions[0], .. CommonKeys, .. ExtraKeys[action]]);

        var filterNode = m.Get(actions[0])!;
        var expression = filterNode is YamlScalarNode { Value: null } ? "" : m.Scalar(filterNode, actions[0]);
        FrameFilter filter;
        try
        {
            filter = filters.Get(expression);
        }
        catch (FormatException e)
        {
            throw m.ErrorAt(filterNode, $"bad filter \"{expression}\": {e.Message}");
        }

        var selections = new[] { "nth", "count", "probability" }.Where(m.Has).ToList();
        if (selections.Count > 1)
            throw m.ErrorAt(m.KeyNode(selections[1]), $"choose frames one way: '{selections[0]}' or '{selections[1]}', not both");
        double? probability = null;
        if (m.Get("probability") is { } pn)
        {
            var text = m.Scalar(pn, "probability");
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || p is < 0 or > 1)
                throw m.ErrorAt(pn, $"'probability' must be a number from 0 to 1, found '{text}'");
            probability = p;
        }

        Instant start = Instant.Zero, end = Instant.MaxValue;
        if (m.Get("at") is { } atNode)
        {
            var text = m.Scalar(atNode, "at");
            if (!TimeSpec.TryParse(text, out var at) || at.Start is { Relative: true } || at.End is { Relative: true })
                throw m.ErrorAt(atNode, $"bad time '{text}' for a fault: expected an absolute time or window like 1s, 1s..2s or 1s..");
            start = at.Start is { } s ? Instant.Zero + s.Offset : Instant.Zero;
            end = at.IsPoint ? start : at.End is { } e ? Instant.Zero + e.Offset : Instant.MaxValue;
        }

        Duration? by = m.Duration("by");
        if (action == FaultAction.Delay && by is null) throw m.ErrorAt(node, "delay needs 'by', like by: 5ms");
        if (action == FaultAction.Truncate && !m.Has("length")) throw m.ErrorAt(node, "truncate needs 'length' (bytes kept), like length: 34");

        return new FaultRule
        {
            Location = m.At(node),
            Number = number,
            Action = action,
            Filter = filter,
            From = m.Has("from") ? refs.Host(m, "from").Name : null,
            To = m.Has("to") ? refs.Host(m, "to").Name : null,
            On = m.KeyOf("segment", "on") is var segmentKey && m.Has(segmentKey) ? refs.Segment(m, segmentKey) : null,
            Start = start,
            End = end,
            Nth = (int?)m.Integer("nth", 1, int.MaxValue),
            Count = (int?)m.Integer("count", 0, int.MaxValue),
            Probability = probability,
            By = by ?? (action == FaultAction.Reorder ? Duration.FromSeconds(1) : Duration.Zero),
            Copies = (int)(m.Integer("copies", 1, 100) ?? 1),
            Offset = (int?)m.Integer("offset", 0, 65_535),
            Bit = (int?)m.Integer("bit", 0, 7),
            Length = (int)(m.Integer("length", 0, 65_535) ?? 0),
        };
    }
}
