using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Steps;

/// <summary><c>tcp-connect: { from: a, to: b:80, as: c }</c>: an active open from host a, named c for later
/// steps. <c>port:</c> fixes the local port (default: an ephemeral one chosen by the seeded stack).</summary>
public sealed class TcpConnectStep : ActionStep
{
    public required string Name { get; init; }
    public required string From { get; init; }
    public required RemoteEndpoint To { get; init; }
    public ushort LocalPort { get; init; }

    public override void Run(ScenarioRun run) => run.ConnectTcp(Name, From, To.Address.Ip, To.Port, LocalPort);

    public override Trace.FrameCause Cause => Trace.FrameCause.TcpSyn(From, To.Address.Ip, To.Port);

    public override string Describe() => $"tcp-connect {Name} from {From} to {To}";
}
