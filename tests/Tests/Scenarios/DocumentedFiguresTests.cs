using System.Text.RegularExpressions;
using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>Figures and tables the docs quote about the repository itself are checked, so they cannot go stale:
/// the shipped-scenarios table lists exactly the files under scenarios/, and the sample run at the top of
/// docs/scenarios.md has as many scenarios as <c>./harness run scenarios/</c> finds.</summary>
public class DocumentedFiguresTests
{
    private static readonly string Docs = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "scenarios.md"));

    [Test]
    public void The_shipped_scenarios_table_lists_exactly_the_files_under_scenarios()
    {
        var start = Docs.IndexOf("\n## Shipped scenarios\n", StringComparison.Ordinal);
        start.Should().BeGreaterThan(0);
        var end = Docs.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var rows = Regex.Matches(Docs[start..end], @"^\| `([^`]+)`\s*\|", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        var files = Directory.EnumerateFiles(RepositoryPaths.Scenarios, "*.yaml").Select(Path.GetFileNameWithoutExtension).ToList();
        rows.Should().OnlyHaveUniqueItems();
        rows.Should().BeEquivalentTo(files, "docs/scenarios.md's 'Shipped scenarios' has one row per file directly under scenarios/");
    }

    [Test]
    public void The_sample_run_has_the_shipped_count()
    {
        var summary = Regex.Match(Docs, @"^(\d+) scenarios: (\d+) passed, 0 failed", RegexOptions.Multiline);
        summary.Success.Should().BeTrue("docs/scenarios.md shows the summary line of ./harness run scenarios/");
        int shipped = ScenarioFiles.Find([RepositoryPaths.Scenarios]).Count;
        int.Parse(summary.Groups[1].Value).Should().Be(shipped, "the sample run of ./harness run scenarios/ must count what is shipped");
        int.Parse(summary.Groups[2].Value).Should().Be(shipped);
    }
}
