using Netstack.Harness.Running;

namespace Netstack.Harness.Steps;

/// <summary><c>link-down: a</c> / <c>link-up: a</c> (or <c>{ host: r, segment: right }</c>): unplugs or plugs back a
/// host's port. While down, frames it sends or that arrive for it are lost (and noted in the recording).</summary>
public sealed class LinkStep : ActionStep
{
    public required string Host { get; init; }
    public string? Segment { get; init; }
    public required bool Up { get; init; }

    public override void Run(ScenarioRun run) => run.SetLink(Host, Segment, Up);

    public override string Describe() => $"link-{(Up ? "up" : "down")} {Host}" + (Segment is null ? "" : $" on {Segment}");
}
