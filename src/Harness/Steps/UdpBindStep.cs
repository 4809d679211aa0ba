using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Steps;

/// <summary><c>udp-bind: b:7</c>: opens a UDP socket on host b, port 7.</summary>
public sealed class UdpBindStep : ActionStep
{
    public required SocketName Socket { get; init; }

    public override void Run(ScenarioRun run) => run.Host(Socket).BindUdp(Socket);

    public override string Describe() => $"udp-bind {Socket}";
}
