using System.Globalization;

namespace Netstack.Harness.Benchmarks;

/// <summary>Runs workloads and prints what they measured: a table for people as figures come in, then one
/// <c>BENCH name value unit</c> line per figure for machines (invariant culture, no thousands separators).</summary>
public static class BenchmarkReport
{
    public static IReadOnlyList<BenchmarkFigure> Run(IEnumerable<IBenchmarkWorkload> workloads, BenchmarkSettings settings, TextWriter output)
    {
        var figures = new List<BenchmarkFigure>();
        foreach (var workload in workloads)
        {
            output.WriteLine(workload.Title);
            foreach (var figure in workload.Run(settings))
            {
                output.WriteLine(TableLine(figure));
                output.Flush();
                figures.Add(figure);
            }
        }
        foreach (var f in figures)
            output.WriteLine(MachineLine(f));
        return figures;
    }

    public static string TableLine(BenchmarkFigure f) => string.Create(CultureInfo.InvariantCulture,
        $"  {f.Description,-68} {Format(f.Value),12} {f.Unit,-9}{(f.Target is null ? "" : " target " + f.Target)}").TrimEnd();

    public static string MachineLine(BenchmarkFigure f) => $"BENCH {f.Name} {Format(f.Value)} {f.Unit}";

    /// <summary>Whole numbers for large values, two decimals at most for small ones.</summary>
    public static string Format(double value) =>
        Math.Abs(value) >= 1000 ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("0.##", CultureInfo.InvariantCulture);
}
