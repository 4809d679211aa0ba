using Netstack.Harness.Running;

namespace Netstack.Harness.Steps;

/// <summary><c>inject: { from: x, ... }</c>: a scripted peer puts a frame, built from fields or given as hex, on
/// its segment. It is recorded as sent by that peer.</summary>
public sealed class InjectStep : ActionStep
{
    public required string From { get; init; }
    public required string Segment { get; init; }
    public required byte[] Frame { get; init; }
    public required string Summary { get; init; }

    public override void Run(ScenarioRun run) => run.Inject(From, Segment, Frame);

    public override string Describe() => $"inject from {From}: {Summary}";
}
