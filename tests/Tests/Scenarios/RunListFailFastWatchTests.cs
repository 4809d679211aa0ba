using System.Xml.Linq;
using FluentAssertions;
using Netstack.Cli.Commands;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary><c>harness run</c>'s selection and flow options: several --filter values, --list, --fail-fast and
/// --watch (run in-process, driven by a file write and stopped by a cancellation token).</summary>
public class RunListFailFastWatchTests
{
    private const string Passing = """
        hosts:
          a: { ip: 192.0.2.10/24 }
          b: { ip: 192.0.2.11/24 }
        steps:
          - ping: { from: a, to: b }
          - expect: { ping: a, replies: 1 }
        """;

    private const string Failing = """
        hosts:
          a: { ip: 192.0.2.10/24 }
          b: { ip: 192.0.2.11/24 }
        steps:
          - ping: { from: a, to: b }
          - expect: { ping: a, replies: 2 }
        """;

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var (o, e) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            return (Netstack.Cli.Program.Main(args), stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(o);
            Console.SetError(e);
        }
    }

    private static string[] Verdicts(string stdout) =>
        stdout.Split('\n').Where(l => l.StartsWith("PASS") || l.StartsWith("FAIL")).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToArray();

    private static string Directory(string name, params (string File, string Yaml)[] files)
    {
        var dir = RepositoryPaths.FreshOutputDirectory(name);
        foreach (var (file, yaml) in files) File.WriteAllText(Path.Combine(dir, file), yaml);
        return dir;
    }

    [Test]
    public void Filter_takes_several_values_repeated_or_as_a_comma_list_and_names_each_that_matches_nothing()
    {
        var dir = Directory("opt-filters", ("alpha.yaml", Passing), ("beta.yaml", Passing), ("gamma.yaml", Passing));
        var (exit, stdout, _) = Run("run", dir, "--out", dir, "--filter", "alpha,gam*", "--filter", "alpha");
        exit.Should().Be(0);
        Verdicts(stdout).Should().Equal("alpha", "gamma");
        stdout.Should().Contain("2 scenarios (selected from 3)");

        var typo = Run("run", dir, "--filter", "beta", "--filter", "delta,epsilon");
        typo.Exit.Should().Be(2);
        typo.Err.Should().Contain("--filter 'delta' matches none of the 3 scenarios").And.Contain("--filter 'epsilon' matches none");
    }

    [Test]
    public void List_prints_the_selected_scenarios_with_their_files_and_runs_nothing()
    {
        var dir = Directory("opt-list", ("alpha.yaml", Passing), ("beta.yaml", Failing), ("gamma.yaml", Passing));
        var output = Path.Combine(dir, "recordings");
        var (exit, stdout, _) = Run("run", dir, "--out", output, "--list", "--shard", "1/2");
        exit.Should().Be(0);
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal(
            $"alpha  {Path.Combine(dir, "alpha.yaml")}",
            $"gamma  {Path.Combine(dir, "gamma.yaml")}",
            "2 scenarios would run (of 3)");
        System.IO.Directory.Exists(output).Should().BeFalse("nothing ran, so nothing was recorded");
    }

    [Test]
    public void Fail_fast_stops_at_the_first_failing_scenario_and_says_how_many_were_not_run()
    {
        var dir = Directory("opt-fail-fast", ("a1.yaml", Passing), ("b2.yaml", Failing), ("c3.yaml", Passing), ("d4.yaml", Failing));
        var junit = Path.Combine(dir, "junit.xml");
        var (exit, stdout, _) = Run("run", dir, "--out", dir, "--fail-fast", "--junit", junit);
        exit.Should().Be(1);
        Verdicts(stdout).Should().Equal("a1", "b2");
        stdout.Should().Contain("--fail-fast: stopped at the first failing scenario; 2 scenarios were not run")
            .And.Contain("4 scenarios: 1 passed, 1 failed, 2 not run");
        var cases = XDocument.Load(junit).Descendants("testcase").ToList();
        cases.Select(c => (string)c.Attribute("name")!).Should().Equal("a1", "b2", "c3", "d4");
        cases.Where(c => c.Element("skipped") is not null).Select(c => (string)c.Attribute("name")!).Should().Equal("c3", "d4");

        Verdicts(Run("run", dir, "--out", dir).Out).Should().HaveCount(4, "without --fail-fast every scenario runs");
    }

    [Test]
    public async Task Watch_runs_again_when_a_selected_file_changes_and_ends_with_130_when_stopped()
    {
        var dir = Directory("opt-watch", ("watched.yaml", Passing), ("other.yaml", Passing));
        var file = Path.Combine(dir, "watched.yaml");
        var stdout = new StringWriter();
        var output = TextWriter.Synchronized(stdout);
        var runs = new SemaphoreSlim(0);
        var exits = new System.Collections.Concurrent.ConcurrentQueue<int>();
        using var stop = new CancellationTokenSource();
        var settings = new RunCommand.Settings { Paths = [dir], Output = dir, Filters = ["watched"], Watch = true };
        var watching = Task.Run(() => RunCommand.Watch(settings, output, TextWriter.Synchronized(new StringWriter()), stop.Token, exit =>
        {
            exits.Enqueue(exit);
            runs.Release();
        }));
        // Generous limits only guard against a hang; nothing here depends on how fast a run is.
        (await runs.WaitAsync(TimeSpan.FromMinutes(2))).Should().BeTrue("the first run happens at once");

        // Saved as editors do, by a rename over the file: a write in place can be seen half done (truncated, then
        // written) when the machine stalls the writer for longer than the debounce, and a half file is bad YAML.
        await File.WriteAllTextAsync(file + ".saving", Failing);
        File.Move(file + ".saving", file, overwrite: true);
        (await runs.WaitAsync(TimeSpan.FromMinutes(2))).Should().BeTrue("saving a watched file runs it again");
        stop.Cancel();
        (await watching).Should().Be(130);

        exits.Should().Equal(0, 1);
        var text = stdout.ToString();
        Verdicts(text).Should().Equal("watched", "watched");
        text.Should().Contain("PASS  watched").And.Contain("FAIL  watched")
            .And.Contain("watching 1 file for changes (Ctrl-C to stop)")
            .And.Contain($"changed: {file}; running again")
            .And.EndWith("stopped watching" + Environment.NewLine);
    }
}
