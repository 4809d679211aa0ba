namespace Netstack.Harness.Conformance;

/// <summary>What one implementation did with one scenario.</summary>
public enum CellOutcome
{
    Pass,
    Fail,
    /// <summary>The scenario cannot be run against that implementation (a service it lacks, an address it cannot
    /// take, the tap wire unavailable): the reason says which.</summary>
    NotApplicable,
    /// <summary>The run is no verdict: a cell documented to differ in timing passed only allowing for the harness's own
    /// measured stall, in every attempt (<see cref="Running.ScenarioResult.InconclusiveReason"/>).</summary>
    Inconclusive,
}

/// <summary>One cell of the matrix: scenario × implementation, with the first difference (the first failing step's
/// report) or why it does not apply, and where its recording is.</summary>
public sealed record MatrixCell(string Scenario, string File, string Implementation, CellOutcome Outcome, string? Detail,
    double WallSeconds, string? Recording)
{
    /// <summary>The first line of <see cref="Detail"/>, for the table.</summary>
    public string Summary => Detail?.Split('\n')[0].TrimEnd() ?? "";

    public string Word => Outcome switch
    {
        CellOutcome.Pass => "pass",
        CellOutcome.Fail => "FAIL",
        CellOutcome.Inconclusive => "inconclusive",
        _ => "n/a",
    };
}
