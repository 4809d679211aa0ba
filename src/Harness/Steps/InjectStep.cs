using Netstack.Harness.Running;

namespace Netstack.Harness.Steps;

/// <summary><c>inject: { from: x, ... }</c>: a scripted peer puts a frame, built from fields or given as hex, on
/// its segment. It is recorded as sent by that peer.</summary>
public sealed class InjectStep : ActionStep
{
    public required string From { get; init; }
    public required string Segment { get; init; }
    /// <summary>The frame, when it does not depend on the recording (everything but relative TCP numbers).</summary>
    public byte[]? Frame { get; init; }
    /// <summary>Builds the frame from the recording so far (TCP seq/ack relative to ISNs seen on the wire).</summary>
    public Func<IReadOnlyList<Trace.CapturedFrame>, byte[]>? Build { get; init; }
    public required string Summary { get; init; }

    public override void Run(ScenarioRun run) => run.Host(From).Inject(Segment, Frame ?? Build!(run.Log.Frames));

    public override string Describe() => $"inject from {From}: {Summary}";
}
