using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Steps;

/// <summary><c>tcp-accept: { listener: b:80, as: s }</c>: takes the next connection established on the listener (now,
/// or when one arrives) and names it s.</summary>
public sealed class TcpAcceptStep : ActionStep
{
    public required string Name { get; init; }
    public required SocketName Listener { get; init; }

    public override void Run(ScenarioRun run) => run.AcceptTcp(Name, Listener);

    public override string Describe() => $"tcp-accept {Name} on {Listener}";
}
