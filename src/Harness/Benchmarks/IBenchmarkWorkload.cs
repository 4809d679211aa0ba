namespace Netstack.Harness.Benchmarks;

/// <summary>A benchmark: sets up its own world, measures, and returns its figures.</summary>
public interface IBenchmarkWorkload
{
    /// <summary>Shown as the section title of the human table.</summary>
    string Title { get; }

    IEnumerable<BenchmarkFigure> Run(BenchmarkSettings settings);
}
