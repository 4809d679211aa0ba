using Netstack.Harness.Running;

namespace Netstack.Harness.Steps;

/// <summary>A step with only <c>at:</c>: lets virtual time run to that point.</summary>
public sealed class WaitStep : ActionStep
{
    public override void Run(ScenarioRun run) { }
    public override string Describe() => $"wait until {At}";
}
