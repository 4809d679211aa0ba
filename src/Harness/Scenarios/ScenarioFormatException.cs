namespace Netstack.Harness.Scenarios;

/// <summary>Mistakes in a scenario file: user errors reported as <c>file:line:col: message</c>, one line each,
/// never a stack trace. The loader collects the mistakes of independent parts (each key, host, fault and step)
/// so one run shows them all; <see cref="Location"/> and <see cref="Problem"/> are the first one's.</summary>
public sealed class ScenarioFormatException : Exception
{
    public ScenarioFormatException(SourceLocation location, string problem) : base($"{location}: {problem}")
    {
        Location = location;
        Problem = problem;
        Errors = [this];
    }

    private ScenarioFormatException(IReadOnlyList<ScenarioFormatException> errors)
        : base(string.Join(Environment.NewLine, errors.Select(e => e.Message)))
    {
        Location = errors[0].Location;
        Problem = errors[0].Problem;
        Errors = errors;
    }

    /// <summary>One exception for several mistakes, in the order of the file (line, then column).</summary>
    public static ScenarioFormatException Of(IEnumerable<ScenarioFormatException> errors)
    {
        var all = errors.SelectMany(e => e.Errors).Distinct()
            .OrderBy(e => e.Location.Line).ThenBy(e => e.Location.Column).ToList();
        if (all.Count == 0) throw new ArgumentException("no errors", nameof(errors));
        return all.Count == 1 ? all[0] : new ScenarioFormatException(all);
    }

    public SourceLocation Location { get; }
    public string Problem { get; }

    /// <summary>Every mistake, each with its own location; one element when there was one.</summary>
    public IReadOnlyList<ScenarioFormatException> Errors { get; }
}
