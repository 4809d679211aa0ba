using System.Globalization;
using System.Xml.Linq;

namespace Netstack.Harness.Running;

/// <summary>JUnit XML, the format CI systems display: one testcase per scenario (and seed), a failure element
/// with the full report when it failed.</summary>
public static class JUnitReport
{
    public sealed record Case(string Name, string File, ulong Seed, bool Passed, double WallSeconds, string? Failure)
    {
        /// <summary>Why the scenario did not run (reported as skipped, with the reason); null when it ran.</summary>
        public string? Skipped { get; init; }
    }

    public static void Write(string path, IReadOnlyList<Case> cases, double totalSeconds)
    {
        var suite = new XElement("testsuite",
            new XAttribute("name", "harness run"),
            new XAttribute("tests", cases.Count),
            new XAttribute("failures", cases.Count(c => !c.Passed)),
            new XAttribute("errors", 0),
            new XAttribute("skipped", cases.Count(c => c.Skipped is not null)),
            new XAttribute("time", totalSeconds.ToString("0.000", CultureInfo.InvariantCulture)));
        foreach (var c in cases)
        {
            var testcase = new XElement("testcase",
                new XAttribute("name", c.Name),
                new XAttribute("classname", "scenarios." + Path.GetFileNameWithoutExtension(c.File)),
                new XAttribute("file", c.File),
                new XAttribute("time", c.WallSeconds.ToString("0.000", CultureInfo.InvariantCulture)));
            testcase.Add(new XElement("properties", new XElement("property", new XAttribute("name", "seed"), new XAttribute("value", c.Seed))));
            if (c.Skipped is { } why) testcase.Add(new XElement("skipped", new XAttribute("message", why)));
            else if (!c.Passed)
            {
                var firstLine = c.Failure?.Split('\n')[0] ?? "failed";
                testcase.Add(new XElement("failure", new XAttribute("message", firstLine), new XAttribute("type", "ScenarioFailed"), c.Failure));
            }
            suite.Add(testcase);
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("testsuites", suite)).Save(path);
    }
}
