using Netstack.Harness.Hosts;
using Netstack.Harness.Steps;

namespace Netstack.Harness.Scenarios;

/// <summary>How a step's body is written: <c>tcp-close: c1</c>, <c>ping: { from: a, to: b }</c>, or either.</summary>
public enum StepForm
{
    Scalar,
    Mapping,
    ScalarOrMapping,
}

/// <summary>One kind of step: its key, how its body is written and the keys the body allows, the step class it
/// makes (whose <c>Run</c> or <c>Check</c> plays it), and how it is read. The loader dispatches on this table;
/// the JSON Schema and docs/scenarios.md are checked against it (SchemaTests, StepCatalogTests).</summary>
/// <param name="Needs">What the host the step names must be able to do (<see cref="HostAbility"/>): a step on a
/// host whose driver lacks it is a load error at the host's name.</param>
/// <param name="Keys">The keys a mapping body allows, in the order error messages list them; for an expectation
/// its own key comes first. <c>on</c> is the old name of the key after it (<see cref="YamlMapping.KeyOf"/>). Null for <c>counters</c>, whose keys are counter names.</param>
internal sealed record StepKind(string Name, StepForm Form, string[]? Keys, Type Makes, Func<StepReader, StepSource, Step> Read,
    HostAbility Needs = HostAbility.None);

/// <summary>What a reader is given: its kind, the step's mapping, the body node, and the body as a mapping whose
/// keys were already checked against <see cref="StepKind.Keys"/> when it is written as one (for an expectation,
/// the <c>expect:</c> mapping).</summary>
internal readonly record struct StepSource(StepKind Kind, YamlMapping Step, YamlDotNet.RepresentationModel.YamlNode Node, YamlMapping? Body, SourceLocation Location)
{
    public string Key => Kind.Name;
}

/// <summary>Every step the scenario language has, in the order error messages list them.</summary>
internal static class StepCatalog
{
    public static readonly StepKind[] Actions =
    [
        new("ping", StepForm.Mapping, ["from", "to", "count", "size", "interval", "timeout", "ttl", "dont-fragment"], typeof(PingStep), (r, s) => r.ReadPing(s), HostAbility.Sockets),
        new("udp-bind", StepForm.Scalar, null, typeof(UdpBindStep), (r, s) => r.ReadUdpBind(s), HostAbility.Sockets),
        new("udp-send", StepForm.Mapping, ["from", "to", "data", "hex", "size"], typeof(UdpSendStep), (r, s) => r.ReadUdpSend(s), HostAbility.Sockets),
        new("tcp-listen", StepForm.ScalarOrMapping, ["socket", "on", "backlog"], typeof(TcpListenStep), (r, s) => r.ReadTcpListen(s), HostAbility.Sockets),
        new("tcp-connect", StepForm.Mapping, ["from", "to", "as", "port"], typeof(TcpConnectStep), (r, s) => r.ReadTcpConnect(s), HostAbility.Sockets),
        new("tcp-accept", StepForm.Mapping, ["listener", "on", "as"], typeof(TcpAcceptStep), (r, s) => r.ReadTcpAccept(s), HostAbility.Sockets),
        new("tcp-send", StepForm.Mapping, ["conn", "data", "hex", "size", "random"], typeof(TcpSendStep), (r, s) => r.ReadTcpSend(s)),
        new("tcp-close", StepForm.Scalar, null, typeof(TcpCloseStep), (r, s) => r.ReadTcpClose(s)),
        new("tcp-abort", StepForm.Scalar, null, typeof(TcpCloseStep), (r, s) => r.ReadTcpClose(s)),
        new("tcp-stop-reading", StepForm.Scalar, null, typeof(TcpReadingStep), (r, s) => r.ReadTcpReading(s)),
        new("tcp-resume-reading", StepForm.Scalar, null, typeof(TcpReadingStep), (r, s) => r.ReadTcpReading(s)),
        new("inject", StepForm.Mapping, InjectReader.Keys, typeof(InjectStep), (r, s) => r.ReadInject(s), HostAbility.Inject),
        new("exec", StepForm.Mapping, ["host", "on", "run", "exit", "output", "timeout"], typeof(ExecStep), (r, s) => r.ReadExec(s), HostAbility.Exec),
        new("link-down", StepForm.ScalarOrMapping, ["host", "segment", "on"], typeof(LinkStep), (r, s) => r.ReadLink(s)),
        new("link-up", StepForm.ScalarOrMapping, ["host", "segment", "on"], typeof(LinkStep), (r, s) => r.ReadLink(s)),
        new("expect", StepForm.Mapping, null, typeof(StateExpectation), (r, s) => r.ReadExpect(s)),
    ];

    /// <summary>The kinds of <c>expect:</c>; each is one key of the expect mapping.</summary>
    public static readonly StepKind[] Expectations =
    [
        new("frame", StepForm.Mapping, FrameKeys, typeof(FrameExpectation), (r, s) => r.ReadFrameExpect(s)),
        new("no-frame", StepForm.Mapping, FrameKeys, typeof(FrameExpectation), (r, s) => r.ReadFrameExpect(s)),
        new("ping", StepForm.Mapping, ["ping", "replies", "status", "seq", "rtt", "reply-from"], typeof(PingExpectation), (r, s) => r.ReadPingExpect(s), HostAbility.Sockets),
        new("arp-cache", StepForm.Mapping, ["arp-cache", "has", "lacks"], typeof(ArpCacheExpectation), (r, s) => r.ReadArpExpect(s), HostAbility.Inspect),
        new("udp-receive", StepForm.Mapping, ["udp-receive", "data", "hex", "size", "from", "none"], typeof(UdpReceiveExpectation), (r, s) => r.ReadUdpReceiveExpect(s), HostAbility.Sockets),
        new("udp-error", StepForm.Mapping, ["udp-error", "error", "reporter", "about", "none"], typeof(UdpErrorExpectation), (r, s) => r.ReadUdpErrorExpect(s), HostAbility.Sockets),
        new("tcp-receive", StepForm.Mapping, ["tcp-receive", "data", "hex", "size", "random", "sha256", "eof", "none"], typeof(TcpReceiveExpectation), (r, s) => r.ReadTcpReceiveExpect(s)),
        new("tcp-state", StepForm.Mapping, ["tcp-state", "state", "error"], typeof(TcpStateExpectation), (r, s) => r.ReadTcpStateExpect(s)),
        new("tcp", StepForm.Mapping, ["tcp", "from", "to", "on", "count", "tolerance", "connection", "next"], typeof(FrameExpectation), (r, s) => r.ReadTcpSegmentExpect(s)),
        new("neighbor-cache", StepForm.Mapping, ["neighbor-cache", "address", "state", "mac", "router"], typeof(NeighborCacheExpectation), (r, s) => r.ReadNeighborExpect(s), HostAbility.Ipv6State),
        new("ip6-address", StepForm.Mapping, ["ip6-address", "address", "state", "origin"], typeof(Ipv6AddressExpectation), (r, s) => r.ReadIpv6AddressExpect(s), HostAbility.Ipv6State),
        new("listener", StepForm.Mapping, ["listener", "half-open", "accept-queue"], typeof(ListenerExpectation), (r, s) => r.ReadListenerExpect(s), HostAbility.Inspect),
        new("counters", StepForm.Mapping, null, typeof(CountersExpectation), (r, s) => r.ReadCountersExpect(s), HostAbility.Inspect),
    ];

    private static string[] FrameKeys => ["frame", "no-frame", "from", "to", "segment", "on", "count", "tolerance", "tcp"];

    public static readonly string[] ActionNames = Actions.Select(a => a.Name).ToArray();
    public static readonly string[] ExpectationNames = Expectations.Select(e => e.Name).ToArray();

    public static StepKind? Action(string name) => Array.Find(Actions, a => a.Name == name);
    public static StepKind? Expectation(string name) => Array.Find(Expectations, e => e.Name == name);
}
