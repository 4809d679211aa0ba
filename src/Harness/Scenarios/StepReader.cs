using Netstack.Harness.Steps;
using Netstack.Harness.Trace;
using Netstack.Wire;
using YamlDotNet.RepresentationModel;

namespace Netstack.Harness.Scenarios;

/// <summary>Reads the <c>steps:</c> list. Each step is a mapping with an optional <c>at:</c> and one action
/// (<c>ping</c>, <c>udp-bind</c>, <c>udp-send</c>) or one <c>expect:</c>; a step with only <c>at:</c> waits.</summary>
internal sealed class StepReader(ScenarioReferences refs, FrameFilterCache filters)
{
    public static readonly string[] Actions = ["ping", "udp-bind", "udp-send", "tcp-listen", "tcp-connect", "tcp-accept", "tcp-send", "tcp-close", "tcp-abort", "tcp-stop-reading", "tcp-resume-reading", "inject", "link-down", "link-up", "expect"];
    public static readonly string[] ExpectKinds = ["frame", "no-frame", "ping", "arp-cache", "udp-receive", "udp-error", "tcp-receive", "tcp-state", "counters"];

    private static readonly string[] PingKeys = ["from", "to", "count", "size", "interval", "timeout", "ttl", "dont-fragment"];
    private static readonly string[] UdpSendKeys = ["from", "to", "data", "hex", "size"];
    private static readonly string[] FrameKeys = ["frame", "no-frame", "from", "to", "on", "count", "tolerance", "tcp"];
    private static readonly string[] PingExpectKeys = ["ping", "replies", "status", "seq", "rtt", "reply-from"];
    private static readonly string[] ArpKeys = ["arp-cache", "has", "lacks"];
    private static readonly string[] UdpReceiveKeys = ["udp-receive", "data", "hex", "size", "from", "none"];
    private static readonly string[] UdpErrorKeys = ["udp-error", "error", "reporter", "about", "none"];

    private readonly Dictionary<SocketName, SourceLocation> _listening = new();
    private readonly Dictionary<string, SourceLocation> _connections = new(StringComparer.Ordinal);

    /// <summary>Sockets bound by steps read so far, with where, so later references can be checked.</summary>
    private readonly Dictionary<SocketName, SourceLocation> _bound = new();

    public List<Step> ReadSteps(YamlMapping root, YamlNode node)
    {
        if (node is not YamlSequenceNode seq)
            throw root.ErrorAt(node, $"'steps' must be a list (each item starting with '- '), found {YamlMapping.Shape(node)}");
        var steps = new List<Step>();
        foreach (var item in seq.Children)
            steps.Add(ReadStep(root, item, steps.Count));
        if (steps.Count == 0) throw root.ErrorAt(node, "'steps' is empty");
        return steps;
    }

    private Step ReadStep(YamlMapping root, YamlNode node, int index)
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
            if (Array.IndexOf(Actions, k) < 0)
                throw m.ErrorAt(m.KeyNode(k), YamlMapping.UnknownMessage($"step '{k}'", k, Actions.Prepend("at")));
        if (actions.Count > 1)
            throw m.ErrorAt(m.KeyNode(actions[1]), $"a step does one thing: found both '{actions[0]}' and '{actions[1]}' (make them two steps)");
        var location = m.At(node);
        if (actions.Count == 0)
        {
            if (at is null) throw m.ErrorAt(node, "an empty step: give it 'at:' to wait, or one of: " + string.Join(", ", Actions));
            if (at.IsRange) throw m.ErrorAt(m.Get("at")!, "a wait goes to one time, not a window");
            return new WaitStep { Location = location, At = at, Index = index };
        }
        var key = actions[0];
        var body = m.Get(key)!;
        if (key != "expect" && at is { IsRange: true })
            throw m.ErrorAt(m.Get("at")!, $"'{key}' happens at one time: windows like 1s..2s are for expectations");
        return key switch
        {
            "ping" => ReadPing(body, location, at, index),
            "udp-bind" => ReadUdpBind(m, body, location, at, index),
            "udp-send" => ReadUdpSend(body, location, at, index),
            "link-down" or "link-up" => ReadLink(m, key, body, location, at, index),
            "inject" => new InjectReader(refs).Read(body, location, at, index),
            "tcp-listen" => ReadTcpListen(m, body, location, at, index),
            "tcp-connect" => ReadTcpConnect(body, location, at, index),
            "tcp-accept" => ReadTcpAccept(body, location, at, index),
            "tcp-send" => ReadTcpSend(body, location, at, index),
            "tcp-stop-reading" or "tcp-resume-reading" => new TcpReadingStep
            {
                Location = location, At = at, Index = index, Reading = key == "tcp-resume-reading",
                Connection = ConnectionName(m, body, key),
            },
            "tcp-close" or "tcp-abort" => new TcpCloseStep
            {
                Location = location, At = at, Index = index, Abort = key == "tcp-abort",
                Connection = ConnectionName(m, body, key),
            },
            _ => ReadExpect(body, location, at, index),
        };
    }

    private YamlMapping Body(YamlNode node, string what, string[] allowed)
    {
        var m = new YamlMapping(refs.File, node, what);
        m.AllowOnly(allowed);
        return m;
    }

    private Step ReadPing(YamlNode node, SourceLocation location, TimeSpec? at, int index)
    {
        var m = Body(node, "ping", PingKeys);
        if (!m.Has("from")) throw m.ErrorAt(node, "ping needs 'from' (a host)");
        if (!m.Has("to")) throw m.ErrorAt(node, "ping needs 'to' (an address or a host)");
        var from = refs.StackHost(m, "from").Name;
        var to = refs.Address(m, m.Get("to")!, "to");
        return new PingStep
        {
            Location = location, At = at, Index = index,
            From = from,
            To = to,
            Count = (int)(m.Integer("count", 1, 10_000) ?? 1),
            Size = (int)(m.Integer("size", 0, 65_507) ?? 56),
            Interval = Span(m.Duration("interval")) ?? TimeSpan.FromSeconds(1),
            Timeout = Span(m.Duration("timeout")) ?? TimeSpan.FromSeconds(1),
            TimeToLive = m.Integer("ttl", 1, 255) is { } ttl ? (byte)ttl : null,
            DontFragment = m.Boolean("dont-fragment") ?? false,
        };
    }

    private Step ReadLink(YamlMapping step, string key, YamlNode node, SourceLocation location, TimeSpec? at, int index)
    {
        string host;
        string? segment = null;
        if (node is YamlMappingNode)
        {
            var m = Body(node, key, ["host", "on"]);
            if (!m.Has("host")) throw m.ErrorAt(node, $"{key} needs 'host'");
            host = refs.Host(m, "host").Name;
            if (m.Has("on"))
            {
                segment = refs.Segment(m, "on");
                if (refs.Hosts.First(h => h.Name == host).Interfaces.All(i => i.Segment != segment))
                    throw m.ErrorAt(m.Get("on")!, $"host '{host}' is not on segment '{segment}'");
            }
        }
        else host = refs.Host(step, key).Name;
        return new LinkStep { Location = location, At = at, Index = index, Host = host, Segment = segment, Up = key == "link-up" };
    }

    private Step ReadTcpListen(YamlMapping step, YamlNode node, SourceLocation location, TimeSpec? at, int index)
    {
        SocketName socket;
        int backlog = 0;
        YamlNode socketNode;
        YamlMapping owner;
        if (node is YamlMappingNode)
        {
            var m = Body(node, "tcp-listen", ["on", "backlog"]);
            socketNode = m.Get("on") ?? throw m.ErrorAt(node, "tcp-listen needs 'on' (host:port)");
            owner = m;
            backlog = (int)(m.Integer("backlog", 1, 65_535) ?? 0);
        }
        else
        {
            socketNode = node;
            owner = step;
        }
        socket = refs.Socket(owner, socketNode, "tcp-listen");
        if (_listening.TryGetValue(socket, out var earlier))
            throw owner.ErrorAt(socketNode, $"{socket} already listens (step at line {earlier.Line})");
        _listening[socket] = location;
        return new TcpListenStep { Location = location, At = at, Index = index, Socket = socket, Backlog = backlog };
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

    private Step ReadTcpConnect(YamlNode node, SourceLocation location, TimeSpec? at, int index)
    {
        var m = Body(node, "tcp-connect", ["from", "to", "as", "port"]);
        if (!m.Has("from")) throw m.ErrorAt(node, "tcp-connect needs 'from' (a host)");
        if (!m.Has("to")) throw m.ErrorAt(node, "tcp-connect needs 'to' (host:port or address:port)");
        return new TcpConnectStep
        {
            Location = location, At = at, Index = index,
            From = refs.StackHost(m, "from").Name,
            To = refs.Endpoint(m, m.Get("to")!, "to"),
            LocalPort = (ushort)(m.Integer("port", 1, 65_535) ?? 0),
            Name = NewConnection(m, location),
        };
    }

    private Step ReadTcpAccept(YamlNode node, SourceLocation location, TimeSpec? at, int index)
    {
        var m = Body(node, "tcp-accept", ["on", "as"]);
        var onNode = m.Get("on") ?? throw m.ErrorAt(node, "tcp-accept needs 'on': a listening host:port");
        var listener = refs.Socket(m, onNode, "on");
        if (!_listening.ContainsKey(listener))
            throw m.ErrorAt(onNode, $"no earlier step listens on {listener} (add 'tcp-listen: {listener}')");
        return new TcpAcceptStep { Location = location, At = at, Index = index, Listener = listener, Name = NewConnection(m, location) };
    }

    private Step ReadTcpSend(YamlNode node, SourceLocation location, TimeSpec? at, int index)
    {
        var m = Body(node, "tcp-send", ["conn", "data", "hex", "size", "random"]);
        var conn = m.Get("conn") ?? throw m.ErrorAt(node, "tcp-send needs 'conn': a connection named with 'as:'");
        return new TcpSendStep
        {
            Location = location, At = at, Index = index,
            Connection = ConnectionName(m, conn, "conn"),
            Data = ReadPayload(m, required: true, MaxStreamBytes)!,
        };
    }

    private static TimeSpan? Span(long? ns) => ns is { } v ? TimeSpan.FromTicks(v / 100) : null;

    private Step ReadUdpBind(YamlMapping step, YamlNode node, SourceLocation location, TimeSpec? at, int index)
    {
        var socket = refs.Socket(step, node, "udp-bind");
        Bind(step, node, socket, location);
        return new UdpBindStep { Location = location, At = at, Index = index, Socket = socket };
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

    private Step ReadUdpSend(YamlNode node, SourceLocation location, TimeSpec? at, int index)
    {
        var m = Body(node, "udp-send", UdpSendKeys);
        if (!m.Has("from")) throw m.ErrorAt(node, "udp-send needs 'from' (host:port)");
        if (!m.Has("to")) throw m.ErrorAt(node, "udp-send needs 'to' (host:port or address:port)");
        var fromNode = m.Get("from")!;
        var from = refs.Socket(m, fromNode, "from");
        if (!_bound.ContainsKey(from)) Bind(m, fromNode, from, location); // sending binds, as sendto() on a fresh socket does
        return new UdpSendStep
        {
            Location = location, At = at, Index = index,
            From = from,
            To = refs.Endpoint(m, m.Get("to")!, "to"),
            Data = ReadPayload(m, required: true)!,
        };
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

    private Step ReadExpect(YamlNode node, SourceLocation location, TimeSpec? at, int index)
    {
        var m = new YamlMapping(refs.File, node, "expect");
        var kinds = m.Keys.Where(k => Array.IndexOf(ExpectKinds, k) >= 0).ToList();
        if (kinds.Count == 0)
        {
            var first = m.Keys.FirstOrDefault();
            if (first is not null && m.Keys.All(k => Array.IndexOf(ExpectKinds, k) < 0) && YamlMapping.Suggest(first, ExpectKinds) is { } s)
                throw m.ErrorAt(m.KeyNode(first), $"unknown expectation '{first}'; did you mean '{s}'?");
            throw m.ErrorAt(node, $"expect needs one of: {string.Join(", ", ExpectKinds)}");
        }
        if (kinds.Count > 1)
            throw m.ErrorAt(m.KeyNode(kinds[1]), $"an expect checks one thing: found both '{kinds[0]}' and '{kinds[1]}'");
        var kind = kinds[0];
        switch (kind)
        {
            case "frame":
            case "no-frame":
                return ReadFrameExpect(m, kind, location, at, index);
            case "ping":
            {
                m.AllowOnly(PingExpectKeys);
                var status = m.String("status");
                if (status is not null && Array.IndexOf(PingOutcome.Names, status) < 0)
                    throw m.ErrorAt(m.Get("status")!, YamlMapping.UnknownMessage($"ping status '{status}'", status, PingOutcome.Names));
                var e = new PingExpectation
                {
                    Location = location, At = at, Index = index,
                    Host = refs.StackHost(m, "ping").Name,
                    Replies = (int?)m.Integer("replies", 0, 10_000),
                    Status = status is null ? null : new PingOutcome(status),
                    Sequence = (int?)m.Integer("seq", 1, 65_535),
                    RoundTrip = Span(m.Duration("rtt")),
                    ReplyFrom = m.Get("reply-from") is { } rf ? refs.Address(m, rf, "reply-from").Address : null,
                };
                if (e.Replies is null && e.Status is null && e.RoundTrip is null && e.ReplyFrom is null)
                    throw m.ErrorAt(node, "expect ping needs something to check: replies, status, rtt or reply-from");
                return e;
            }
            case "arp-cache":
                return ReadArpExpect(m, location, at, index);
            case "tcp-receive":
            {
                m.AllowOnly("tcp-receive", "data", "hex", "size", "random", "sha256", "eof", "none");
                RejectDetailsWithNone(m, "data", "hex", "size", "random", "sha256", "eof");
                var data = ReadPayload(m, required: false, MaxStreamBytes);
                var sha = m.String("sha256");
                if (sha is not null && (data is null || !TcpReceiveExpectation.IsSha256(sha)))
                    throw m.ErrorAt(m.Get("sha256")!, data is null
                        ? "'sha256' checks the bytes given by 'data', 'hex', 'size' or 'random': give one of them"
                        : $"bad sha256 '{sha}': expected 64 hex digits");
                var e = new TcpReceiveExpectation
                {
                    Location = location, At = at, Index = index,
                    Connection = ConnectionName(m, m.Get("tcp-receive")!, "tcp-receive"),
                    Data = data,
                    Sha256 = sha?.ToLowerInvariant(),
                    Eof = m.Boolean("eof") ?? false,
                    None = m.Boolean("none") ?? false,
                };
                if (e.Data is null && !e.Eof && !e.None)
                    throw m.ErrorAt(node, "expect tcp-receive needs 'data' (or hex, size, random), 'eof: true' or 'none: true'");
                return e;
            }
            case "tcp-state":
            {
                m.AllowOnly("tcp-state", "state", "error");
                var state = m.String("state");
                if (state is not null && Array.IndexOf(TcpStateExpectation.States, state) < 0)
                    throw m.ErrorAt(m.Get("state")!, YamlMapping.UnknownMessage($"TCP state '{state}'", state, TcpStateExpectation.States));
                var error = m.String("error");
                if (error is not null && !TcpStateExpectation.Errors.ContainsKey(error))
                    throw m.ErrorAt(m.Get("error")!, YamlMapping.UnknownMessage($"TCP error '{error}'", error, TcpStateExpectation.Errors.Keys));
                if (state is null && error is null) throw m.ErrorAt(node, "expect tcp-state needs 'state' or 'error'");
                return new TcpStateExpectation
                {
                    Location = location, At = at, Index = index,
                    Connection = ConnectionName(m, m.Get("tcp-state")!, "tcp-state"),
                    State = state,
                    Error = error,
                };
            }
            case "udp-receive":
            {
                m.AllowOnly(UdpReceiveKeys);
                RejectDetailsWithNone(m, "data", "hex", "size", "from");
                return new UdpReceiveExpectation
                {
                    None = m.Boolean("none") ?? false,
                    Location = location, At = at, Index = index,
                    Socket = BoundSocket(m, "udp-receive"),
                    Data = ReadPayload(m, required: false),
                    From = m.Get("from") is { } f ? refs.Endpoint(m, f, "from") : null,
                };
            }
            case "udp-error":
            {
                m.AllowOnly(UdpErrorKeys);
                var error = m.String("error");
                if (error is not null && Array.IndexOf(UdpErrorExpectation.Names, error) < 0)
                    throw m.ErrorAt(m.Get("error")!, YamlMapping.UnknownMessage($"error '{error}'", error, UdpErrorExpectation.Names));
                RejectDetailsWithNone(m, "error", "reporter", "about");
                return new UdpErrorExpectation
                {
                    None = m.Boolean("none") ?? false,
                    Location = location, At = at, Index = index,
                    Socket = BoundSocket(m, "udp-error"),
                    Error = error,
                    Reporter = m.Get("reporter") is { } r ? refs.Address(m, r, "reporter").Address : null,
                    About = m.Get("about") is { } a ? refs.Endpoint(m, a, "about") : null,
                };
            }
            default:
                return ReadCountersExpect(m, location, at, index);
        }
    }

    private static void RejectDetailsWithNone(YamlMapping m, params string[] details)
    {
        if (m.Boolean("none") != true) return;
        foreach (var d in details)
            if (m.Has(d)) throw m.ErrorAt(m.KeyNode(d), $"'none: true' expects nothing, so '{d}' has nothing to check");
    }

    private Step ReadFrameExpect(YamlMapping m, string kind, SourceLocation location, TimeSpec? at, int index)
    {
        m.AllowOnly(FrameKeys);
        if (m.Has("frame") && m.Has("no-frame"))
            throw m.ErrorAt(m.KeyNode("no-frame"), "an expect checks one thing: found both 'frame' and 'no-frame'");
        var filterNode = m.Get(kind)!;
        var expression = filterNode is YamlScalarNode { Value: null } ? "" : m.Scalar(filterNode, kind);
        FrameFilter filter;
        try
        {
            filter = filters.Get(expression);
        }
        catch (FormatException e)
        {
            throw m.ErrorAt(filterNode, $"bad filter \"{expression}\": {e.Message}");
        }
        bool negated = kind == "no-frame";
        if (negated && m.Has("count"))
            throw m.ErrorAt(m.KeyNode("count"), "'no-frame' already means a count of 0: drop 'count'");
        return new FrameExpectation
        {
            Location = location, At = at, Index = index,
            Filter = filter,
            Negated = negated,
            From = m.Has("from") ? refs.Host(m, "from").Name : null,
            To = m.Has("to") ? refs.Host(m, "to").Name : null,
            On = m.Has("on") ? refs.Segment(m, "on") : null,
            Count = (int?)m.Integer("count", 0, 1_000_000),
            ToleranceNanoseconds = m.Duration("tolerance") ?? 0,
            Tcp = m.Get("tcp") is { } tcpNode ? ReadTcpFields(tcpNode) : null,
        };
    }

    private TcpFieldCheck ReadTcpFields(YamlNode node)
    {
        var m = Body(node, "tcp", ["flags", "seq", "ack", "win", "len"]);
        byte? flags = null;
        if (m.Get("flags") is { } fn)
        {
            var text = m.Scalar(fn, "flags");
            if (!Trace.TcpView.TryParseFlags(text, out var f))
                throw m.ErrorAt(fn, $"bad TCP flags '{text}': use tcpdump's letters S F R P U E W and '.' for ACK, like S, S., P., F., R");
            flags = f;
        }
        return new TcpFieldCheck
        {
            Flags = flags,
            Sequence = (uint?)m.Integer("seq", 0, uint.MaxValue),
            Acknowledgment = (uint?)m.Integer("ack", 0, uint.MaxValue),
            Window = (ushort?)m.Integer("win", 0, 65_535),
            Length = (int?)m.Integer("len", 0, 65_535),
        };
    }

    private Step ReadArpExpect(YamlMapping m, SourceLocation location, TimeSpec? at, int index)
    {
        m.AllowOnly(ArpKeys);
        var has = new List<(Ipv4Address, MacAddress?)>();
        var lacks = new List<Ipv4Address>();
        if (m.Get("has") is { } hasNode)
        {
            switch (hasNode)
            {
                case YamlMappingNode map:
                    foreach (var (k, v) in map.Children)
                    {
                        var address = ParseAddress(m, k, "has");
                        var macText = m.Scalar(v, "has");
                        if (!MacAddress.TryParse(macText, out var mac))
                            throw m.ErrorAt(v, $"bad MAC address '{macText}': expected six hex bytes like 02:00:00:00:00:0b");
                        has.Add((address, mac));
                    }
                    break;
                case YamlSequenceNode seq:
                    foreach (var item in seq.Children) has.Add((ParseAddress(m, item, "has"), null));
                    break;
                default:
                    has.Add((ParseAddress(m, hasNode, "has"), null));
                    break;
            }
        }
        if (m.Get("lacks") is { } lacksNode)
        {
            if (lacksNode is YamlSequenceNode seq)
                foreach (var item in seq.Children) lacks.Add(ParseAddress(m, item, "lacks"));
            else lacks.Add(ParseAddress(m, lacksNode, "lacks"));
        }
        if (has.Count == 0 && lacks.Count == 0)
            throw m.ErrorAt(m.Node, "expect arp-cache needs 'has' (address: mac, or a list of addresses) or 'lacks'");
        return new ArpCacheExpectation
        {
            Location = location, At = at, Index = index,
            Host = refs.InspectableHost(m, "arp-cache").Name,
            Has = has,
            Lacks = lacks,
        };
    }

    private Ipv4Address ParseAddress(YamlMapping m, YamlNode node, string key) => refs.Address(m, node, key).Address;

    private Step ReadCountersExpect(YamlMapping m, SourceLocation location, TimeSpec? at, int index)
    {
        var host = refs.InspectableHost(m, "counters").Name;
        var values = new List<(string, Func<Netstack.Diagnostics.StackCounters, long>, long)>();
        foreach (var key in m.Keys)
        {
            if (key == "counters") continue;
            if (!CounterNames.TryGet(key, out var reader))
                throw m.ErrorAt(m.KeyNode(key), YamlMapping.UnknownMessage($"counter '{key}'", key, CounterNames.All));
            values.Add((key, reader, m.Integer(key, 0)!.Value));
        }
        if (values.Count == 0)
            throw m.ErrorAt(m.Node, "expect counters needs at least one counter, like drop.udp-no-listener: 1");
        return new CountersExpectation { Location = location, At = at, Index = index, Host = host, Values = values };
    }
}
