using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Netstack.Harness.Running;

/// <summary>Combines the JUnit reports of a run split over CI jobs (<c>--shard K/N</c>, one seed range per job) into
/// one report, and rebuilds the per-seed table of every scenario from the cases' <c>seed=… virtual-seconds=…</c>
/// figures. Reports from other tools merge too; only ours carry seed figures.</summary>
public static class JUnitMerge
{
    public sealed record SeedRow(ulong Seed, bool Passed, double? VirtualSeconds, long? Retransmits);

    public sealed record ScenarioSeeds(string ClassName, IReadOnlyList<SeedRow> Rows)
    {
        public IEnumerable<ulong> FailingSeeds => Rows.Where(r => !r.Passed).Select(r => r.Seed);
    }

    public sealed record Result(XDocument Document, int Tests, int Failures, int Errors, int Skipped, double Seconds,
        IReadOnlyList<ScenarioSeeds> Seeds);

    /// <summary>Reads every report and merges them. A file that is missing or is not JUnit XML is an
    /// <see cref="InvalidDataException"/> naming the file (and line and column for bad XML).</summary>
    public static Result Merge(IReadOnlyList<string> paths)
    {
        var suites = new List<XElement>();
        foreach (var path in paths)
        {
            XDocument doc;
            try
            {
                doc = XDocument.Load(path, LoadOptions.SetLineInfo);
            }
            catch (FileNotFoundException)
            {
                throw new InvalidDataException($"{path}: no such file");
            }
            catch (DirectoryNotFoundException)
            {
                throw new InvalidDataException($"{path}: no such file");
            }
            catch (XmlException e)
            {
                throw new InvalidDataException($"{path}:{e.LineNumber}:{e.LinePosition}: not well-formed XML: {e.Message}");
            }
            var root = doc.Root!;
            var found = root.Name.LocalName switch
            {
                "testsuites" => root.Elements("testsuite").ToList(),
                "testsuite" => [root],
                _ => throw new InvalidDataException($"{path}:{Line(root)}: expected <testsuites> or <testsuite>, found <{root.Name.LocalName}>"),
            };
            foreach (var suite in found)
            {
                var copy = new XElement(suite);
                copy.SetAttributeValue("name", $"{suite.Attribute("name")?.Value ?? "suite"} ({Path.GetFileName(path)})");
                suites.Add(copy);
            }
        }

        var cases = suites.SelectMany(s => s.Elements("testcase")).ToList();
        int failures = cases.Count(c => c.Element("failure") is not null);
        int errors = cases.Count(c => c.Element("error") is not null);
        int skipped = cases.Count(c => c.Element("skipped") is not null);
        double seconds = suites.Sum(s => Number(s.Attribute("time")?.Value) ?? 0);
        var root2 = new XElement("testsuites",
            new XAttribute("name", "harness merge"),
            new XAttribute("tests", cases.Count),
            new XAttribute("failures", failures),
            new XAttribute("errors", errors),
            new XAttribute("skipped", skipped),
            new XAttribute("time", seconds.ToString("0.000", CultureInfo.InvariantCulture)),
            suites);
        return new Result(new XDocument(new XDeclaration("1.0", "utf-8", null), root2), cases.Count, failures, errors, skipped,
            seconds, SeedTables(cases));
    }

    private static List<ScenarioSeeds> SeedTables(List<XElement> cases)
    {
        var rows = new Dictionary<string, List<SeedRow>>(StringComparer.Ordinal);
        foreach (var c in cases)
        {
            var figures = Figures(c.Element("system-out")?.Value);
            // Only cases of a seed sweep (several seeds of one scenario) have virtual-seconds.
            if (!figures.TryGetValue("seed", out var seedText) || !figures.ContainsKey("virtual-seconds")) continue;
            if (!ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out var seed)) continue;
            var name = c.Attribute("classname")?.Value ?? "?";
            if (!rows.TryGetValue(name, out var list)) rows[name] = list = new();
            bool passed = c.Element("failure") is null && c.Element("error") is null;
            list.Add(new SeedRow(seed, passed, Number(figures["virtual-seconds"]),
                figures.TryGetValue("retransmits", out var r) && long.TryParse(r, CultureInfo.InvariantCulture, out var n) ? n : null));
        }
        return rows.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new ScenarioSeeds(p.Key, p.Value.OrderBy(r => r.Seed).ToList())).ToList();
    }

    private static Dictionary<string, string> Figures(string? text)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        if (text is null) return d;
        foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = word.IndexOf('=');
            if (eq > 0) d[word[..eq]] = word[(eq + 1)..];
        }
        return d;
    }

    private static double? Number(string? s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static string Line(XElement e) => e is IXmlLineInfo i && i.HasLineInfo() ? $"{i.LineNumber}:{i.LinePosition}" : "1:1";
}
