using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Steps;

/// <summary><c>tcp-listen: b:80</c> (or <c>{ socket: b:80, backlog: 4 }</c>): a listening socket on host b.</summary>
public sealed class TcpListenStep : ActionStep
{
    public required SocketName Socket { get; init; }
    public int Backlog { get; init; }

    public override void Run(ScenarioRun run) => run.Host(Socket).ListenTcp(Socket, Backlog);

    public override string Describe() => $"tcp-listen {Socket}";
}
