using FluentAssertions;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>The corpus of broken scenario files in Broken/: each ends with comments
/// <c># expect: LINE:COL: MESSAGE</c> giving the exact errors it must produce, all of them, in file order.</summary>
public class BrokenScenarioTests
{
    private const string Marker = "# expect: ";

    public static IEnumerable<TestCaseData> Cases() =>
        Directory.EnumerateFiles(RepositoryPaths.TestsFolder("Scenarios", "Broken"), "*.yaml")
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => new TestCaseData(f).SetName("broken " + Path.GetFileNameWithoutExtension(f)));

    [TestCaseSource(nameof(Cases))]
    public void Is_reported_at_its_line_and_column(string path)
    {
        var text = File.ReadAllText(path);
        var expectLines = text.Split('\n').Where(l => l.StartsWith(Marker, StringComparison.Ordinal)).ToList();
        expectLines.Should().NotBeEmpty($"{path} must say what error it expects in a '{Marker}' comment");
        var fileName = Path.GetFileName(path);
        using var filters = new FrameFilterCache();

        var load = () => ScenarioLoader.Load(text, fileName, filters);

        load.Should().Throw<ScenarioFormatException>()
            .Which.Errors.Select(e => e.Message).Should().Equal(expectLines.Select(l => $"{fileName}:{l[Marker.Length..].TrimEnd('\r')}"));
    }

    [Test]
    public void Corpus_covers_each_kind_of_mistake()
    {
        var names = Directory.EnumerateFiles(RepositoryPaths.TestsFolder("Scenarios", "Broken"), "*.yaml")
            .Select(Path.GetFileNameWithoutExtension).ToList();
        names.Should().Contain(["yaml-syntax", "unknown-top-key", "wrong-type-count", "unknown-host", "bad-address",
            "bad-time", "bad-filter", "several-mistakes"]);
    }
}
