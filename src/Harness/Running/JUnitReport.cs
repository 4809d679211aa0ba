using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Netstack.Harness.Running;

/// <summary>JUnit XML in the Ant/Jenkins shape CI systems display: one <c>testsuite</c> with its
/// <c>properties</c> (the run's settings), one <c>testcase</c> per scenario or per scenario and seed, a
/// <c>failure</c> with the full report, a <c>skipped</c> with the reason. Per-seed figures go to the case's
/// <c>system-out</c> as <c>key=value</c> words (the Ant schema has no properties on a testcase), where
/// <c>harness merge</c> reads them back. UTF-8 without a byte-order mark.</summary>
public static class JUnitReport
{
    public sealed record Case(string Name, string File, ulong Seed, bool Passed, double WallSeconds, string? Failure)
    {
        /// <summary>Why the scenario did not run (reported as skipped, with the reason); null when it ran.</summary>
        public string? Skipped { get; init; }

        /// <summary>A case that stands for a file that could not be loaded: reported as an error, not a failure.</summary>
        public bool IsLoadError { get; init; }

        /// <summary>Figures of one seed's run (<c>seed</c>, <c>virtual-seconds</c>, <c>retransmits</c>, <c>frames</c>,
        /// <c>reproduce</c>), written as <c>system-out</c>; empty for a plain run.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Figures { get; init; } = [];
    }

    /// <summary>Writes the report; <paramref name="properties"/> describe the run (wire, seeds, shard, filter).</summary>
    public static void Write(string path, IReadOnlyList<Case> cases, double totalSeconds,
        IReadOnlyList<KeyValuePair<string, string>>? properties = null, string suiteName = "harness run")
    {
        var suite = new XElement("testsuite",
            new XAttribute("name", suiteName),
            new XAttribute("tests", cases.Count),
            new XAttribute("failures", cases.Count(c => !c.Passed && !c.IsLoadError && c.Skipped is null)),
            new XAttribute("errors", cases.Count(c => c.IsLoadError)),
            new XAttribute("skipped", cases.Count(c => c.Skipped is not null)),
            new XAttribute("time", Seconds(totalSeconds)),
            new XAttribute("timestamp", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)),
            new XAttribute("hostname", Environment.MachineName));
        if (properties is { Count: > 0 })
            suite.Add(new XElement("properties", properties.Select(p =>
                new XElement("property", new XAttribute("name", p.Key), new XAttribute("value", p.Value)))));
        foreach (var c in cases) suite.Add(CaseElement(c));
        Save(path, new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("testsuites", suite)));
    }

    private static XElement CaseElement(Case c)
    {
        var testcase = new XElement("testcase",
            new XAttribute("name", c.Name),
            new XAttribute("classname", ClassName(c.File)),
            new XAttribute("file", c.File),
            new XAttribute("time", Seconds(c.WallSeconds)));
        if (c.Skipped is { } why) testcase.Add(new XElement("skipped", new XAttribute("message", why)));
        else if (!c.Passed)
        {
            var firstLine = c.Failure?.Split('\n')[0] ?? "failed";
            testcase.Add(new XElement(c.IsLoadError ? "error" : "failure", new XAttribute("message", firstLine),
                new XAttribute("type", c.IsLoadError ? "ScenarioFileError" : "ScenarioFailed"), c.Failure));
        }
        var figures = c.Figures.Count > 0 ? c.Figures : [new("seed", c.Seed.ToString(CultureInfo.InvariantCulture))];
        testcase.Add(new XElement("system-out", string.Join(' ', figures.Select(f => $"{f.Key}={f.Value}"))));
        return testcase;
    }

    /// <summary>Saves without a byte-order mark (some CI parsers reject one) and with indentation.</summary>
    public static void Save(string path, XDocument document)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true };
        using var writer = XmlWriter.Create(path, settings);
        document.Save(writer);
    }

    public static string ClassName(string file) => "scenarios." + Path.GetFileNameWithoutExtension(file);

    private static string Seconds(double s) => s.ToString("0.000", CultureInfo.InvariantCulture);
}
