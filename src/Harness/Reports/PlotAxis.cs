using System.Globalization;

namespace Netstack.Harness.Reports;

/// <summary>A linear plot axis: maps a value range onto pixels and picks round tick values (1, 2 or 5 times a
/// power of ten), as a person would label a graph by hand.</summary>
public sealed class PlotAxis
{
    public double Min { get; }
    public double Max { get; }
    public double PixelStart { get; }
    public double PixelEnd { get; }

    public PlotAxis(double min, double max, double pixelStart, double pixelEnd)
    {
        if (!(max > min)) max = min + 1;
        Min = min;
        Max = max;
        PixelStart = pixelStart;
        PixelEnd = pixelEnd;
    }

    public double this[double value] => PixelStart + (value - Min) / (Max - Min) * (PixelEnd - PixelStart);

    public IEnumerable<double> Ticks(int roughly)
    {
        double step = NiceStep((Max - Min) / Math.Max(1, roughly));
        for (double t = Math.Ceiling(Min / step) * step; t <= Max + step * 1e-9; t += step)
            yield return Math.Abs(t) < step * 1e-9 ? 0 : t;
    }

    public static double NiceStep(double rough)
    {
        if (rough <= 0 || double.IsNaN(rough)) return 1;
        double power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double f = rough / power;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
    }

    /// <summary>Milliseconds as a tick label: no more decimals than the step needs.</summary>
    public static string Milliseconds(double ms, double step)
    {
        int decimals = step >= 1 ? 0 : Math.Min(6, (int)Math.Ceiling(-Math.Log10(step)));
        return ms.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    /// <summary>A byte count as a tick label: 0, 500, 10k, 1.5M.</summary>
    public static string Bytes(double value)
    {
        double a = Math.Abs(value);
        return a >= 1e6 ? (value / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M"
            : a >= 1e4 ? (value / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k"
            : value.ToString("0", CultureInfo.InvariantCulture);
    }
}
