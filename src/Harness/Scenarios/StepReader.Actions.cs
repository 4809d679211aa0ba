using Netstack.Harness.Steps;
using YamlDotNet.RepresentationModel;
using Netstack.Time;

namespace Netstack.Harness.Scenarios;

/// <summary>Readers of the actions: application calls, link changes, injected frames.</summary>
internal sealed partial class StepReader
{
    internal Step ReadPing(StepSource s)
    {
        var m = s.Body!;
        if (!m.Has("from")) throw m.ErrorAt(s.Node, "ping needs 'from' (a host)");
        if (!m.Has("to")) throw m.ErrorAt(s.Node, "ping needs 'to' (an address or a host)");
        var from = refs.HostThatCan(m, "from", s.Kind.Needs).Name;
        var to = refs.AddressOfEitherFamily(m, m.Get("to")!, "to");
        if (to.Ipv6 is not null && m.Has("dont-fragment"))
            throw m.ErrorAt(m.KeyNode("dont-fragment"), "'dont-fragment' is IPv4's: IPv6 routers never fragment");
        return new PingStep
        {
            From = from,
            To = to,
            Count = (int)(m.Integer("count", 1, 10_000) ?? 1),
            Size = (int)(m.Integer("size", 0, 65_507) ?? 56),
            Interval = m.Duration("interval") ?? Duration.FromSeconds(1),
            Timeout = m.Duration("timeout") ?? Duration.FromSeconds(1),
            TimeToLive = m.Integer("ttl", 1, 255) is { } ttl ? (byte)ttl : null,
            DontFragment = m.Boolean("dont-fragment") ?? false,
        };
    }

    internal Step ReadLink(StepSource s)
    {
        string host;
        string? segment = null;
        if (s.Body is { } m)
        {
            if (!m.Has("host")) throw m.ErrorAt(s.Node, $"{s.Key} needs 'host'");
            host = refs.Host(m, "host").Name;
            var segmentKey = m.KeyOf("segment", "on");
            if (m.Has(segmentKey))
            {
                segment = refs.Segment(m, segmentKey);
                if (refs.Hosts.First(h => h.Name == host).Interfaces.All(i => i.Segment != segment))
                    throw m.ErrorAt(m.Get(segmentKey)!, $"host '{host}' is not on segment '{segment}'");
            }
        }
        else host = refs.Host(s.Step, s.Key).Name;
        return new LinkStep { Host = host, Segment = segment, Up = s.Key == "link-up" };
    }

    internal Step ReadTcpListen(StepSource s)
    {
        int backlog = 0;
        YamlNode socketNode;
        YamlMapping owner;
        if (s.Body is { } m)
        {
            socketNode = m.Get(m.KeyOf("socket", "on")) ?? throw m.ErrorAt(s.Node, "tcp-listen needs 'socket' (host:port)");
            owner = m;
            backlog = (int)(m.Integer("backlog", 1, 65_535) ?? 0);
        }
        else
        {
            socketNode = s.Node;
            owner = s.Step;
        }
        var socket = refs.Socket(owner, socketNode, "tcp-listen");
        if (_listening.TryGetValue(socket, out var earlier))
            throw owner.ErrorAt(socketNode, $"{socket} already listens (step at line {earlier.Line})");
        _listening[socket] = s.Location;
        return new TcpListenStep { Socket = socket, Backlog = backlog };
    }

    internal Step ReadTcpConnect(StepSource s)
    {
        var m = s.Body!;
        if (!m.Has("from")) throw m.ErrorAt(s.Node, "tcp-connect needs 'from' (a host)");
        if (!m.Has("to")) throw m.ErrorAt(s.Node, "tcp-connect needs 'to' (host:port or address:port)");
        return new TcpConnectStep
        {
            From = refs.HostThatCan(m, "from", s.Kind.Needs).Name,
            To = refs.Endpoint(m, m.Get("to")!, "to"),
            LocalPort = (ushort)(m.Integer("port", 1, 65_535) ?? 0),
            Name = NewConnection(m, s.Location),
        };
    }

    internal Step ReadTcpAccept(StepSource s)
    {
        var m = s.Body!;
        var listenerKey = m.KeyOf("listener", "on");
        var onNode = m.Get(listenerKey) ?? throw m.ErrorAt(s.Node, "tcp-accept needs 'listener': a listening host:port");
        var listener = refs.Socket(m, onNode, listenerKey);
        if (!_listening.ContainsKey(listener))
            throw m.ErrorAt(onNode, $"no earlier step listens on {listener} (add 'tcp-listen: {listener}')");
        return new TcpAcceptStep { Listener = listener, Name = NewConnection(m, s.Location) };
    }

    internal Step ReadTcpSend(StepSource s)
    {
        var m = s.Body!;
        var conn = m.Get("conn") ?? throw m.ErrorAt(s.Node, "tcp-send needs 'conn': a connection named with 'as:'");
        return new TcpSendStep
        {
            Connection = ConnectionName(m, conn, "conn"),
            Data = ReadPayload(m, required: true, MaxStreamBytes)!,
        };
    }

    internal Step ReadTcpClose(StepSource s) =>
        new TcpCloseStep { Abort = s.Key == "tcp-abort", Connection = ConnectionName(s.Step, s.Node, s.Key) };

    internal Step ReadTcpReading(StepSource s) =>
        new TcpReadingStep { Reading = s.Key == "tcp-resume-reading", Connection = ConnectionName(s.Step, s.Node, s.Key) };

    internal Step ReadInject(StepSource s) => new InjectReader(refs).Read(s.Body!);

    internal Step ReadUdpBind(StepSource s)
    {
        var socket = refs.Socket(s.Step, s.Node, "udp-bind");
        Bind(s.Step, s.Node, socket, s.Location);
        return new UdpBindStep { Socket = socket };
    }

    internal Step ReadUdpSend(StepSource s)
    {
        var m = s.Body!;
        if (!m.Has("from")) throw m.ErrorAt(s.Node, "udp-send needs 'from' (host:port)");
        if (!m.Has("to")) throw m.ErrorAt(s.Node, "udp-send needs 'to' (host:port or address:port)");
        var fromNode = m.Get("from")!;
        var from = refs.Socket(m, fromNode, "from");
        if (!_bound.ContainsKey(from)) Bind(m, fromNode, from, s.Location); // sending binds, as sendto() on a fresh socket does
        return new UdpSendStep
        {
            From = from,
            To = refs.Endpoint(m, m.Get("to")!, "to"),
            Data = ReadPayload(m, required: true)!,
        };
    }

    internal Step ReadExec(StepSource s)
    {
        var m = s.Body!;
        var hostKey = m.KeyOf("host", "on");
        if (!m.Has(hostKey)) throw m.ErrorAt(s.Node, "exec needs 'host' (a host played by Linux or an external implementation)");
        var run = m.Get("run") ?? throw m.ErrorAt(s.Node, "exec needs 'run': a shell command");
        var command = m.Scalar(run, "run");
        if (string.IsNullOrWhiteSpace(command)) throw m.ErrorAt(run, "'run' is empty: give a shell command");
        return new ExecStep
        {
            Host = refs.HostThatCan(m, hostKey, s.Kind.Needs).Name,
            Command = command,
            ExitCode = (int)(m.Integer("exit", 0, 255) ?? 0),
            OutputContains = m.String("output"),
            Timeout = m.Duration("timeout") ?? Duration.FromSeconds(5),
        };
    }
}
