namespace Netstack.Harness.Benchmarks;

/// <summary>Adapts a benchmark that is just a method (returning numbers) to the suite.</summary>
public sealed class DelegateWorkload(string title, Func<BenchmarkSettings, IEnumerable<BenchmarkFigure>> run) : IBenchmarkWorkload
{
    public string Title => title;
    public IEnumerable<BenchmarkFigure> Run(BenchmarkSettings settings) => run(settings);
}
