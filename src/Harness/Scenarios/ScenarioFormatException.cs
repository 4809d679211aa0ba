namespace Netstack.Harness.Scenarios;

/// <summary>A mistake in a scenario file: a user error reported as <c>file:line:col: message</c>, never a stack trace.</summary>
public sealed class ScenarioFormatException(SourceLocation location, string problem) : Exception($"{location}: {problem}")
{
    public SourceLocation Location { get; } = location;
    public string Problem { get; } = problem;
}
