namespace Netstack.Harness.Benchmarks;

/// <summary>One measured number. <paramref name="Name"/> is the machine key printed as
/// <c>BENCH name value unit</c>; <paramref name="Target"/> says what the project aims for, for the table.</summary>
public sealed record BenchmarkFigure(string Name, double Value, string Unit, string Description, string? Target = null);
