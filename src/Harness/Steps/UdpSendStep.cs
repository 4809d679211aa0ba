using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Steps;

/// <summary><c>udp-send: { from: a:5000, to: b:7, data: hello }</c>: sends one datagram from a socket,
/// binding it first if no earlier step did.</summary>
public sealed class UdpSendStep : ActionStep
{
    public required SocketName From { get; init; }
    public required RemoteEndpoint To { get; init; }
    public required Payload Data { get; init; }

    public override void Run(ScenarioRun run) => run.Host(From).SendUdp(From, To.Address.Ip, To.Port, Data.Bytes);

    public override Trace.FrameCause Cause => Trace.FrameCause.UdpDatagram(From.Host, From.Port, To.Address.Ip, To.Port);

    public override string Describe() => $"udp-send from {From} to {To}, {Data}";
}
