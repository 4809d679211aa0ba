using System.Text;
using Netstack.Harness.Running;

namespace Netstack.Harness.Conformance;

/// <summary>The matrix as a text table (scenario × implementation), as Markdown, and as JUnit (one case per cell).
/// A cell reads <c>pass</c>, <c>FAIL</c>, <c>n/a</c>, <c>inconclusive</c> (no verdict: see <see cref="CellOutcome.Inconclusive"/>),
/// or <c>differs</c> when its failure is a documented difference;
/// the first difference or reason of each cell that is not a pass is listed under the table.</summary>
public static class MatrixReport
{
    public static string CellText(MatrixCell cell, MatrixExpectations? expected)
    {
        if (expected is null) return cell.Word;
        var entry = expected.For(cell.Scenario, cell.Implementation);
        var unexpected = expected.Judge(cell) is not null;
        var word = cell.Outcome == CellOutcome.Fail && entry.Kind == MatrixExpectations.Kind.Differs ? "differs" : cell.Word;
        return unexpected ? word + " (!)" : word;
    }

    public static string Table(IReadOnlyList<MatrixCell> cells, IReadOnlyList<string> implementations, MatrixExpectations? expected)
    {
        var scenarios = cells.Select(c => c.Scenario).Distinct().ToList();
        int first = Math.Max(8, scenarios.Max(s => s.Length));
        int width = Math.Max(12, implementations.Max(i => i.Length));
        var sb = new StringBuilder();
        sb.Append("scenario".PadRight(first));
        foreach (var i in implementations) sb.Append("  ").Append(i.PadRight(width));
        sb.AppendLine();
        foreach (var s in scenarios)
        {
            sb.Append(s.PadRight(first));
            foreach (var i in implementations)
                sb.Append("  ").Append((cells.FirstOrDefault(c => c.Scenario == s && c.Implementation == i) is { } c ? CellText(c, expected) : "").PadRight(width));
            sb.AppendLine();
        }
        foreach (var c in cells.Where(c => c.Outcome != CellOutcome.Pass))
        {
            sb.Append("  ").Append(c.Scenario).Append(" × ").Append(c.Implementation).Append(": ");
            if (expected is not null && expected.For(c.Scenario, c.Implementation) is { Kind: MatrixExpectations.Kind.Differs } e)
                sb.Append('[').Append(e.Reference).Append("] ");
            sb.AppendLine(c.Summary);
            if (expected?.Judge(c) is { } why) sb.Append("    (!) ").AppendLine(why);
        }
        return sb.ToString();
    }

    public static string Markdown(IReadOnlyList<MatrixCell> cells, IReadOnlyList<string> implementations, MatrixExpectations? expected)
    {
        var scenarios = cells.Select(c => c.Scenario).Distinct().ToList();
        var sb = new StringBuilder();
        sb.AppendLine("# Conformance matrix").AppendLine();
        sb.Append("| scenario |");
        foreach (var i in implementations) sb.Append(' ').Append(i).Append(" |");
        sb.AppendLine().Append("|---|");
        foreach (var _ in implementations) sb.Append("---|");
        sb.AppendLine();
        foreach (var s in scenarios)
        {
            sb.Append("| ").Append(s).Append(" |");
            foreach (var i in implementations)
                sb.Append(' ').Append(cells.FirstOrDefault(c => c.Scenario == s && c.Implementation == i) is { } c ? CellText(c, expected) : "").Append(" |");
            sb.AppendLine();
        }
        var notes = cells.Where(c => c.Outcome != CellOutcome.Pass).ToList();
        if (notes.Count > 0)
        {
            sb.AppendLine().AppendLine("## Differences and reasons").AppendLine();
            foreach (var c in notes)
            {
                var reference = expected?.For(c.Scenario, c.Implementation) is { Kind: MatrixExpectations.Kind.Differs } e ? $" [{e.Reference}]" : "";
                sb.Append("- **").Append(c.Scenario).Append(" × ").Append(c.Implementation).Append("** ").Append(c.Word)
                  .Append(reference).Append(": `").Append(c.Summary.Replace("`", "'")).AppendLine("`");
                if (expected?.Judge(c) is { } why) sb.Append("  - unexpected: ").AppendLine(why);
            }
        }
        return sb.ToString();
    }

    public static void WriteJUnit(string path, IReadOnlyList<MatrixCell> cells, MatrixExpectations? expected, double seconds,
        IReadOnlyList<KeyValuePair<string, string>> properties)
    {
        var cases = cells.Select(c =>
        {
            var unexpected = expected?.Judge(c);
            // Without expectations a failing cell fails its case; with them, only an unexpected one does.
            bool passed = expected is null ? c.Outcome != CellOutcome.Fail : unexpected is null;
            var documented = expected?.For(c.Scenario, c.Implementation) is { Kind: MatrixExpectations.Kind.Differs } e ? $"documented difference {e.Reference}: " : "";
            return new JUnitReport.Case($"{c.Scenario} × {c.Implementation}", c.File, 0, passed, c.WallSeconds,
                passed ? null : (unexpected ?? "") + Environment.NewLine + c.Detail)
            {
                Skipped = c.Outcome is CellOutcome.NotApplicable or CellOutcome.Inconclusive && passed ? c.Summary : null,
                Figures = [new("implementation", c.Implementation), new("outcome", documented.Length > 0 && c.Outcome == CellOutcome.Fail ? "differs" : c.Word)],
            };
        }).ToList();
        JUnitReport.Write(path, cases, seconds, properties, "harness matrix");
    }
}
