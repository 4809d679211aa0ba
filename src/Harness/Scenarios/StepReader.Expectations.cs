using Netstack.Harness.Steps;
using Netstack.Harness.Trace;
using Netstack.Wire;
using YamlDotNet.RepresentationModel;
using Netstack.Time;

namespace Netstack.Harness.Scenarios;

/// <summary>Readers of the kinds of <c>expect:</c>; each gets the expect mapping with its keys already checked.</summary>
internal sealed partial class StepReader
{
    internal Step ReadPingExpect(StepSource s)
    {
        var m = s.Body!;
        var status = m.String("status");
        if (status is not null && Array.IndexOf(PingOutcome.Names, status) < 0)
            throw m.ErrorAt(m.Get("status")!, YamlMapping.UnknownMessage($"ping status '{status}'", status, PingOutcome.Names));
        var e = new PingExpectation
        {
            Host = refs.HostThatCan(m, "ping", s.Kind.Needs).Name,
            Replies = (int?)m.Integer("replies", 0, 10_000),
            Status = status is null ? null : new PingOutcome(status),
            Sequence = (int?)m.Integer("seq", 1, 65_535),
            RoundTrip = m.Duration("rtt"),
            ReplyFrom = m.Get("reply-from") is { } rf ? refs.AddressOfEitherFamily(m, rf, "reply-from").Ip : null,
        };
        if (e.Replies is null && e.Status is null && e.RoundTrip is null && e.ReplyFrom is null)
            throw m.ErrorAt(s.Node, "expect ping needs something to check: replies, status, rtt or reply-from");
        return e;
    }

    internal Step ReadTcpReceiveExpect(StepSource s)
    {
        var m = s.Body!;
        RejectDetailsWithNone(m, "data", "hex", "size", "random", "sha256", "eof");
        var data = ReadPayload(m, required: false, MaxStreamBytes);
        var sha = m.String("sha256");
        if (sha is not null && (data is null || !TcpReceiveExpectation.IsSha256(sha)))
            throw m.ErrorAt(m.Get("sha256")!, data is null
                ? "'sha256' checks the bytes given by 'data', 'hex', 'size' or 'random': give one of them"
                : $"bad sha256 '{sha}': expected 64 hex digits");
        var e = new TcpReceiveExpectation
        {
            Connection = ConnectionName(m, m.Get("tcp-receive")!, "tcp-receive"),
            Data = data,
            Sha256 = sha?.ToLowerInvariant(),
            Eof = m.Boolean("eof") ?? false,
            None = m.Boolean("none") ?? false,
        };
        if (e.Data is null && !e.Eof && !e.None)
            throw m.ErrorAt(s.Node, "expect tcp-receive needs 'data' (or hex, size, random), 'eof: true' or 'none: true'");
        return e;
    }

    internal Step ReadTcpStateExpect(StepSource s)
    {
        var m = s.Body!;
        var state = m.String("state");
        if (state is not null && Array.IndexOf(TcpStateExpectation.States, state) < 0)
            throw m.ErrorAt(m.Get("state")!, YamlMapping.UnknownMessage($"TCP state '{state}'", state, TcpStateExpectation.States));
        var error = m.String("error");
        if (error is not null && !TcpStateExpectation.Errors.ContainsKey(error))
            throw m.ErrorAt(m.Get("error")!, YamlMapping.UnknownMessage($"TCP error '{error}'", error, TcpStateExpectation.Errors.Keys));
        if (state is null && error is null) throw m.ErrorAt(s.Node, "expect tcp-state needs 'state' or 'error'");
        return new TcpStateExpectation
        {
            Connection = ConnectionName(m, m.Get("tcp-state")!, "tcp-state"),
            State = state,
            Error = error,
        };
    }

    internal Step ReadUdpReceiveExpect(StepSource s)
    {
        var m = s.Body!;
        RejectDetailsWithNone(m, "data", "hex", "size", "from");
        return new UdpReceiveExpectation
        {
            None = m.Boolean("none") ?? false,
            Socket = BoundSocket(m, "udp-receive"),
            Data = ReadPayload(m, required: false),
            From = m.Get("from") is { } f ? refs.Endpoint(m, f, "from") : null,
        };
    }

    internal Step ReadUdpErrorExpect(StepSource s)
    {
        var m = s.Body!;
        var error = m.String("error");
        if (error is not null && Array.IndexOf(UdpErrorExpectation.Names, error) < 0)
            throw m.ErrorAt(m.Get("error")!, YamlMapping.UnknownMessage($"error '{error}'", error, UdpErrorExpectation.Names));
        RejectDetailsWithNone(m, "error", "reporter", "about");
        return new UdpErrorExpectation
        {
            None = m.Boolean("none") ?? false,
            Socket = BoundSocket(m, "udp-error"),
            Error = error,
            Reporter = m.Get("reporter") is { } r ? refs.Address(m, r, "reporter").Address : null,
            About = m.Get("about") is { } a ? refs.Endpoint(m, a, "about") : null,
        };
    }

    internal Step ReadFrameExpect(StepSource s)
    {
        var m = s.Body!;
        var kind = s.Key;
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
            Filter = filter,
            Negated = negated,
            From = m.Has("from") ? refs.Host(m, "from").Name : null,
            To = m.Has("to") ? refs.Host(m, "to").Name : null,
            On = m.KeyOf("segment", "on") is var segmentKey && m.Has(segmentKey) ? refs.Segment(m, segmentKey) : null,
            Count = (int?)m.Integer("count", 0, 1_000_000),
            Tolerance = m.Duration("tolerance") ?? Duration.Zero,
            Tcp = m.Get("tcp") is YamlMappingNode tcpNode ? ReadTcpFields(tcpNode) : null,
            Segment = m.Get("tcp") is YamlScalarNode notation ? ReadSegmentCheck(m, notation, null, m.Has("from") ? refs.Host(m, "from").Name : null) : null,
        };
    }

    /// <summary><c>expect: { from: b, tcp: "S. 0:0(0) ack 1 win 65535 &lt;mss 1460,...&gt;" }</c>: a segment in
    /// packetdrill's notation, on the step's or the scenario's <c>connection:</c> when there is one.</summary>
    internal Step ReadTcpSegmentExpect(StepSource s)
    {
        var m = s.Body!;
        if (!m.Has("from")) throw m.ErrorAt(s.Node, "expect tcp needs 'from': the host that sends the segment");
        var from = refs.Host(m, "from").Name;
        if (m.Get("tcp") is not YamlScalarNode notation)
            throw m.ErrorAt(m.Get("tcp")!, "'tcp' is a segment in packetdrill's notation, like \"S. 0:0(0) ack 1 win 65535 <mss 1460>\" (TCP fields as a mapping go with 'frame:')");
        var connection = m.Get("connection") is { } cn ? refs.Connection(m, cn, "connection") : refs.DefaultConnection;
        if (connection is not null && connection.Sent(from) is null)
            throw m.ErrorAt(m.Get("from")!, $"host '{from}' is not an end of the connection {connection}");
        bool ordered = (m.Boolean("next") ?? false) || refs.StrictHosts.Contains(from);
        int? count = (int?)m.Integer("count", 0, 1_000_000);
        if (ordered && count is not null)
            throw m.ErrorAt(m.KeyNode("count"), refs.StrictHosts.Contains(from) && m.Boolean("next") != true
                ? $"host '{from}' is strict: each expect takes its next segment, so 'count' does not apply"
                : "'next: true' takes one segment: drop 'count'");
        string filter = "tcp";
        return new FrameExpectation
        {
            Filter = filters.Get(filter),
            Negated = count == 0,
            From = from,
            To = m.Has("to") ? refs.Host(m, "to").Name : null,
            On = m.Has("on") ? refs.Segment(m, "on") : null,
            Count = count == 0 ? null : count,
            Tolerance = m.Duration("tolerance") ?? Duration.Zero,
            Segment = ReadSegmentCheck(m, notation, connection, from),
            Ordered = ordered,
        };
    }

    private TcpSegmentCheck ReadSegmentCheck(YamlMapping m, YamlScalarNode node, TcpConnectionSpec? connection, string? from)
    {
        var text = node.Value ?? "";
        return new TcpSegmentCheck
        {
            Segment = Packetdrill.SegmentNotation.Parse(text, ValueStart(m, node)),
            Text = text,
            Connection = connection,
            From = from,
        };
    }

    /// <summary>Where a scalar's text starts: after the quote when it is quoted, so an error in the notation points
    /// at the character inside the string.</summary>
    internal static SourceLocation ValueStart(YamlMapping m, YamlScalarNode node)
    {
        var at = m.At(node);
        return node.Style is YamlDotNet.Core.ScalarStyle.DoubleQuoted or YamlDotNet.Core.ScalarStyle.SingleQuoted
            ? at with { Column = at.Column + 1 }
            : at;
    }

    private TcpFieldCheck ReadTcpFields(YamlNode node)
    {
        var m = new YamlMapping(refs.File, node, "tcp");
        m.AllowOnly("flags", "seq", "ack", "win", "len");
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

    internal Step ReadArpExpect(StepSource s)
    {
        var m = s.Body!;
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
            Host = refs.HostThatCan(m, "arp-cache", s.Kind.Needs).Name,
            Has = has,
            Lacks = lacks,
        };
    }

    internal Step ReadNeighborExpect(StepSource s)
    {
        var m = s.Body!;
        var host = refs.HostThatCan(m, "neighbor-cache", s.Kind.Needs).Name;
        var address = Ipv6AddressOf(m, "neighbor-cache");
        var stateText = m.String("state");
        Netstack.Link.NeighborState? state = null;
        if (stateText is not null && stateText != "none")
            state = Enum.TryParse<Netstack.Link.NeighborState>(stateText, ignoreCase: true, out var parsed) && stateText.All(char.IsAsciiLetterLower)
                ? parsed
                : throw m.ErrorAt(m.Get("state")!, $"bad neighbour state '{stateText}': expected incomplete, reachable, stale, delay, probe or none");
        if (stateText == "none" && (m.Has("mac") || m.Has("router")))
            throw m.ErrorAt(m.KeyNode(m.Has("mac") ? "mac" : "router"), "'state: none' means no entry: it has no MAC or router flag to check");
        MacAddress? mac = null;
        if (m.Get("mac") is { } macNode)
        {
            var macText = m.Scalar(macNode, "mac");
            mac = MacAddress.TryParse(macText, out var parsedMac) ? parsedMac
                : throw m.ErrorAt(macNode, $"bad MAC address '{macText}': expected six hex bytes like 02:00:00:00:00:0b");
        }
        return new NeighborCacheExpectation
        {
            Host = host, Address = address, State = state, Absent = stateText == "none", Mac = mac, IsRouter = m.Boolean("router"),
        };
    }

    internal Step ReadIpv6AddressExpect(StepSource s)
    {
        var m = s.Body!;
        var host = refs.HostThatCan(m, "ip6-address", s.Kind.Needs).Name;
        var address = Ipv6AddressOf(m, "ip6-address");
        var stateText = m.String("state");
        Netstack.Network.Ipv6.Ipv6AddressState? state = stateText switch
        {
            null or "none" => null,
            "tentative" => Netstack.Network.Ipv6.Ipv6AddressState.Tentative,
            "preferred" => Netstack.Network.Ipv6.Ipv6AddressState.Preferred,
            "duplicate" => Netstack.Network.Ipv6.Ipv6AddressState.Duplicate,
            _ => throw m.ErrorAt(m.Get("state")!, $"bad address state '{stateText}': expected tentative, preferred, duplicate or none"),
        };
        var originText = m.String("origin");
        if (stateText == "none" && originText is not null)
            throw m.ErrorAt(m.KeyNode("origin"), "'state: none' means the host lacks the address: it has no origin to check");
        Netstack.Network.Ipv6.Ipv6AddressOrigin? origin = originText switch
        {
            null => null,
            "slaac" => Netstack.Network.Ipv6.Ipv6AddressOrigin.Autoconfigured,
            "static" => Netstack.Network.Ipv6.Ipv6AddressOrigin.Static,
            "link-local" => Netstack.Network.Ipv6.Ipv6AddressOrigin.LinkLocal,
            _ => throw m.ErrorAt(m.Get("origin")!, $"bad origin '{originText}': expected slaac, static or link-local"),
        };
        return new Ipv6AddressExpectation { Host = host, Address = address, State = state, Absent = stateText == "none", Origin = origin };
    }

    /// <summary>The expectation's <c>address:</c>, an IPv6 literal or <c>host/ip6</c>.</summary>
    private Ipv6Address Ipv6AddressOf(YamlMapping m, string kind)
    {
        var node = m.Get("address") ?? throw m.ErrorAt(m.Node, $"expect {kind} needs 'address' (an IPv6 address or host/ip6)");
        var address = refs.AddressOfEitherFamily(m, node, "address");
        return address.Ipv6 ?? throw m.ErrorAt(node, $"'address' of {kind} is an IPv6 address (like 2001:db8::b or b/ip6), not '{address.Text}'");
    }

    internal Step ReadListenerExpect(StepSource s)
    {
        var m = s.Body!;
        var node = m.Get("listener")!;
        var socket = refs.Socket(m, node, "listener");
        // Whether the host can show its queues comes first: that is the error worth reading.
        var owner = refs.Hosts.First(h => h.Name == socket.Host);
        if (!Hosts.HostAbilities.Can(owner, Hosts.HostAbility.Inspect)) throw m.ErrorAt(node, Hosts.HostAbilities.Refusal(owner, Hosts.HostAbility.Inspect, "listener"));
        if (!_listening.ContainsKey(socket))
            throw m.ErrorAt(node, $"no earlier step listens on {socket} (add 'tcp-listen: {socket}')");
        var e = new ListenerExpectation
        {
            Socket = socket,
            HalfOpen = (int?)m.Integer("half-open", 0, 1_000_000),
            AcceptQueue = (int?)m.Integer("accept-queue", 0, 1_000_000),
        };
        if (e.HalfOpen is null && e.AcceptQueue is null)
            throw m.ErrorAt(s.Node, "expect listener needs 'half-open' or 'accept-queue' (a count)");
        return e;
    }

    internal Step ReadCountersExpect(StepSource s)
    {
        var m = s.Body!;
        var host = refs.HostThatCan(m, "counters", s.Kind.Needs).Name;
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
        return new CountersExpectation { Host = host, Values = values };
    }
}
