using Netstack.Harness.Steps;
using Netstack.Harness.Trace;
using Netstack.Wire;
using YamlDotNet.RepresentationModel;

namespace Netstack.Harness.Scenarios;

/// <summary>Reads the <c>steps:</c> list. Each step is a mapping with an optional <c>at:</c> and one action
/// (<c>ping</c>, <c>udp-bind</c>, <c>udp-send</c>) or one <c>expect:</c>; a step with only <c>at:</c> waits.</summary>
/// <summary>Reads the <c>steps:</c> list. Each step is a mapping with an optional <c>at:</c> and one action
/// or one <c>expect:</c>; a step with only <c>at:</c> waits. Which keys exist, how each body is written and which
/// reader makes its step is <see cref="StepCatalog"/>'s table; this class holds the readers and what they check
/// across steps (sockets bound, listeners, connection names).</summary>
internal sealed partial class StepReader(ScenarioReferences refs, FrameFilterCache filters)
{
    public static string[] Actions => StepCatalog.ActionNames;
    public static string[] ExpectKinds => StepCatalog.ExpectationNames;

    private readonly Dictionary<SocketName, SourceLocation> _listening = new();
    private readonly Dictionary<string, SourceLocation> _connections = new(StringComparer.Ordinal);

    /// <summary>Sockets bound by steps read so far, with where, so later references can be checked.</summary>
    private readonly Dictionary<SocketName, SourceLocation> _bound = new();

    /// <summary>Reads every step, collecting each one's mistakes into <paramref name="errors"/>.</summary>
    public List<Step> ReadSteps(YamlMapping root, YamlNode node, LoadErrors errors)
    {
        var steps = new List<Step>();
        if (node is not YamlSequenceNode seq)
        {
            errors.Add(root.ErrorAt(node, $"'steps' must be a list (each item starting with '- '), found {YamlMapping.Shape(node)}"));
            return steps;
        }
        int index = 0;
        foreach (var item in seq.Children)
        {
            int at = index++;
            if (errors.Try(() => ReadStep(item, at), null) is { } step) steps.Add(step);
            else NameAnyway(item);
        }
        if (seq.Children.Count == 0) errors.Add(root.ErrorAt(node, "'steps' is empty"));
        return steps;
    }

    /// <summary>A step with a mistake still names its connection (<c>as:</c>), so later steps using the name do not
    /// each report that no step names it.</summary>
    private void NameAnyway(YamlNode item)
    {
        if (item is not YamlMappingNode step) return;
        foreach (var (_, body) in step.Children)
            if (body is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode("as"), out var asNode) &&
                asNode is YamlScalarNode { Value: { } name } && ScenarioReferences.NamePattern().IsMatch(name))
                _connections.TryAdd(name, new SourceLocation(refs.File, (int)item.Start.Line, (int)item.Start.Column));
    }

    private Step ReadStep(YamlNode node, int index)
    {
        var m = new YamlMapping(refs.File, node, "a step");
        TimeSpec? at = null;
        if (m.Get("at") is { } atNode)
        {
            var text = m.Scalar(atNode, "at");
            if (!TimeSpec.TryParse(text, out at))
                throw m.ErrorAt(atNode, $"bad time '{text}': expected like 1s, +250ms (after the previous step), or a window 1s..1.2s, +0..+5ms, ..2s");
        }
        var actions = m.Keys.Where(k => k != "at").ToList();
        foreach (var k in actions)
            if (StepCatalog.Action(k) is null)
                throw m.ErrorAt(m.KeyNode(k), YamlMapping.UnknownMessage($"step '{k}'", k, Actions.Prepend("at")));
        if (actions.Count > 1)
            throw m.ErrorAt(m.KeyNode(actions[1]), $"a step does one thing: found both '{actions[0]}' and '{actions[1]}' (make them two steps)");
        var location = m.At(node);
        if (actions.Count == 0)
        {
            if (at is null) throw m.ErrorAt(node, "an empty step: give it 'at:' to wait, or one of: " + string.Join(", ", Actions));
            if (at.IsRange) throw m.ErrorAt(m.Get("at")!, "a wait goes to one time, not a window");
            return new WaitStep().Place(location, at, index);
        }
        var kind = StepCatalog.Action(actions[0])!;
        var body = m.Get(kind.Name)!;
        if (kind.Name != "expect" && at is { IsRange: true })
            throw m.ErrorAt(m.Get("at")!, $"'{kind.Name}' happens at one time: windows like 1s..2s are for expectations");
        return kind.Read(this, new StepSource(kind, m, body, BodyMapping(kind, body), location)).Place(location, at, index);
    }

    /// <summary>The body as a mapping with only the keys its kind allows, when the kind writes it as one.</summary>
    private YamlMapping? BodyMapping(StepKind kind, YamlNode node)
    {
        if (kind.Form == StepForm.Scalar || (kind.Form == StepForm.ScalarOrMapping && node is not YamlMappingNode)) return null;
        var m = new YamlMapping(refs.File, node, kind.Name);
        if (kind.Keys is { } allowed) m.AllowOnly(allowed);
        return m;
    }

    private string NewConnection(YamlMapping m, SourceLocation location)
    {
        var node = m.Get("as") ?? throw m.ErrorAt(m.Node, $"{m.What} needs 'as': a name for the connection, used by later steps");
        var name = m.Scalar(node, "as");
        if (!ScenarioReferences.NamePattern().IsMatch(name))
            throw m.ErrorAt(node, $"bad connection name '{name}': use letters, digits, '_' and '-', starting with a letter");
        if (_connections.TryGetValue(name, out var earlier))
            throw m.ErrorAt(node, $"connection '{name}' is already named by the step at line {earlier.Line}");
        _connections[name] = location;
        return name;
    }

    private string ConnectionName(YamlMapping m, YamlNode node, string key)
    {
        var name = m.Scalar(node, key);
        if (_connections.ContainsKey(name)) return name;
        var suggestion = YamlMapping.Suggest(name, _connections.Keys);
        throw m.ErrorAt(node, $"no earlier step names a connection '{name}'" +
                              (suggestion is not null ? $"; did you mean '{suggestion}'?" : _connections.Count > 0 ? $" (connections: {string.Join(", ", _connections.Keys)})" : " (name one with tcp-connect or tcp-accept 'as:')"));
    }

    private void Bind(YamlMapping m, YamlNode node, SocketName socket, SourceLocation location)
    {
        if (_bound.TryGetValue(socket, out var earlier))
            throw m.ErrorAt(node, $"{socket} is already bound by the step at line {earlier.Line}");
        _bound[socket] = location;
    }

    private SocketName BoundSocket(YamlMapping m, string key)
    {
        var node = m.Get(key)!;
        var socket = refs.Socket(m, node, key);
        if (!_bound.ContainsKey(socket))
            throw m.ErrorAt(node, $"no earlier step binds {socket} (add 'udp-bind: {socket}' or a udp-send from it)");
        return socket;
    }

    /// <summary>Largest payload a TCP step writes or reads in one go (a stream has no datagram limit).</summary>
    private const int MaxStreamBytes = 64 * 1024 * 1024;

    internal static Payload? ReadPayload(YamlMapping m, bool required, int maxSize = 65_507)
    {
        var given = new[] { "data", "hex", "size", "random" }.Where(m.Has).ToList();
        if (given.Count > 1) throw m.ErrorAt(m.KeyNode(given[1]), $"give the bytes one way: '{given[0]}' or '{given[1]}', not both");
        if (given.Count == 0)
        {
            if (required) throw m.ErrorAt(m.Node, $"{m.What} needs the bytes: 'data' (text), 'hex' or 'size'");
            return null;
        }
        switch (given[0])
        {
            case "data":
                return Payload.FromText(m.String("data")!);
            case "hex":
            {
                var text = m.String("hex")!;
                if (!Payload.TryFromHex(text, out var p))
                    throw m.ErrorAt(m.Get("hex")!, $"bad hex '{text}': expected pairs of hex digits, like 'de ad be ef'");
                return p;
            }
            case "random":
                return Payload.FromRandom((int)m.Integer("random", 0, maxSize)!.Value);
            default:
                return Payload.FromSize((int)m.Integer("size", 0, maxSize)!.Value);
        }
    }

    /// <summary>Picks the one kind of expectation the <c>expect:</c> mapping names, checks its keys against the
    /// kind's, and reads it.</summary>
    internal Step ReadExpect(StepSource s)
    {
        var m = s.Body!;
        var kinds = m.Keys.Where(k => StepCatalog.Expectation(k) is not null).ToList();
        // With frame or no-frame, 'tcp' checks that frame's TCP fields rather than naming an expectation.
        if (m.Has("frame") || m.Has("no-frame")) kinds.Remove("tcp");
        if (kinds.Count == 0)
        {
            var first = m.Keys.FirstOrDefault();
            if (first is not null && m.Keys.All(k => StepCatalog.Expectation(k) is null) && YamlMapping.Suggest(first, ExpectKinds) is { } suggestion)
                throw m.ErrorAt(m.KeyNode(first), $"unknown expectation '{first}'; did you mean '{suggestion}'?");
            throw m.ErrorAt(s.Node, $"expect needs one of: {string.Join(", ", ExpectKinds)}");
        }
        if (kinds.Count > 1)
            throw m.ErrorAt(m.KeyNode(kinds[1]), $"an expect checks one thing: found both '{kinds[0]}' and '{kinds[1]}'");
        var kind = StepCatalog.Expectation(kinds[0])!;
        if (kind.Keys is { } allowed) m.AllowOnly(allowed);
        return kind.Read(this, s with { Kind = kind });
    }

    private static void RejectDetailsWithNone(YamlMapping m, params string[] details)
    {
        if (m.Boolean("none") != true) return;
        foreach (var d in details)
            if (m.Has(d)) throw m.ErrorAt(m.KeyNode(d), $"'none: true' expects nothing, so '{d}' has nothing to check");
    }

    private Ipv4Address ParseAddress(YamlMapping m, YamlNode node, string key) => refs.Address(m, node, key).Address;
}
