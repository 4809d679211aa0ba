namespace Netstack.Harness.Scenarios;

/// <summary>Where something was written in a scenario file (1-based line and column), so every error and
/// failure can point at it the way a compiler does: <c>file:line:col</c>.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}
