using System.Text.RegularExpressions;
using FluentAssertions;
using Netstack.Cli.Terminal;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Reports;

/// <summary>The command line's terminal behaviour: colour and progress only for a person at a terminal, plain
/// text when redirected, and per-scenario durations at a fixed precision in a right-aligned column.</summary>
public class TerminalOutputTests
{
    [Test]
    public void Redirected_output_is_plain_text_without_progress()
    {
        var text = new StringWriter();
        var terminal = new TerminalOutput(text, interactive: false);
        terminal.Progress("seed 3 of 10");
        terminal.WriteLine($"{terminal.Verdict("PASS")}  one");
        terminal.WriteLine($"{terminal.Verdict("FAIL")}  two {terminal.Green("3 passed")}");
        text.ToString().Should().Be($"PASS  one{Environment.NewLine}FAIL  two 3 passed{Environment.NewLine}");
    }

    [Test]
    public void On_a_terminal_verdicts_are_coloured_and_the_progress_line_is_cleared_before_the_next_line()
    {
        var text = new StringWriter();
        var terminal = new TerminalOutput(text, interactive: true);
        terminal.Progress("seed 3 of 10");
        terminal.WriteLine($"{terminal.Verdict("FAIL")}  two");
        var written = text.ToString();
        written.Should().StartWith("\r\u001b[2K").And.Contain("seed 3 of 10");
        written.Should().EndWith($"\r\u001b[2K\u001b[1;31mFAIL\u001b[0m  two{Environment.NewLine}");
    }

    [Test]
    public void Durations_in_the_per_scenario_lines_have_a_fixed_precision_and_line_up()
    {
        var (exit, stdout, _) = CliRunner.Run("run", Path.Combine(RepositoryPaths.Scenarios, "hardening-tcp-1mb-lossy.yaml"),
            Path.Combine(RepositoryPaths.Scenarios, "arp-resolution.yaml"), "--out", RepositoryPaths.FreshOutputDirectory("aligned"));
        exit.Should().Be(0, stdout);
        stdout.Should().NotContain("\u001b[", "the test's stdout is not a terminal");
        var lines = stdout.Split('\n').Where(l => l.StartsWith("PASS")).ToList();
        lines.Should().HaveCount(2);
        var durations = lines.Select(l => Regex.Match(l, @"\s(\d+\.\d+)s\s")).ToList();
        durations.Should().AllSatisfy(m => m.Groups[1].Value.Should().MatchRegex(@"^\d+\.\d{3}$"));
        durations.Select(m => m.Index + m.Length).Distinct().Should().ContainSingle("the seconds are right-aligned in one column");
        lines[0].Should().MatchRegex(@"\s\d{2,}\.\d{3}s\s", "tens of seconds line up with the other scenario's fraction of one");
        lines[1].Should().MatchRegex(@"\s0\.\d{3}s\s");
    }
}
