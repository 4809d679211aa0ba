namespace Netstack.Harness.Benchmarks;

/// <summary>The middle of a set of measurements (the mean of the two middle ones for an even count): what paired
/// rounds report, since on a shared machine one slow or fast round moves a mean or a best-of far more.</summary>
public static class Median
{
    /// <summary>The median of <paramref name="values"/>; 0 when there are none.</summary>
    public static double Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0) return 0;
        int mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
