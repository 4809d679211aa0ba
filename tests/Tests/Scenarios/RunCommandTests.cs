using FluentAssertions;
using Netstack.Cli.Commands;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary><c>harness run</c>: one line per scenario, a summary, and exit codes 0 / 1 / 2.</summary>
public class RunCommandTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    private static string Write(string dir, string name, string yaml)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private const string Passing = """
        wire: { latency: 1ms }
        hosts:
          a: { ip: 192.0.2.10/24 }
          b: { ip: 192.0.2.11/24 }
        steps:
          - ping: { from: a, to: b }
          - expect: { ping: a, replies: 1 }
        """;

    [Test]
    public void All_passing_exits_0_with_a_line_per_scenario_and_a_summary()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("run-pass");
        var scenarios = Directory.CreateDirectory(Path.Combine(dir, "scenarios")).FullName;
        Write(scenarios, "one.yaml", Passing);
        Write(scenarios, "two.yml", Passing);
        Write(scenarios, "notes.txt", "not a scenario");
        var output = Path.Combine(dir, "recordings");

        var (exit, stdout, _) = Run("run", scenarios, "--out", output);

        exit.Should().Be(0, stdout);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().MatchRegex(@"^PASS  one\s+0\.003s\s+6 frames$");
        lines[1].Should().MatchRegex(@"^PASS  two\s+0\.003s\s+6 frames$");
        lines[2].Should().StartWith("2 scenarios: 2 passed, 0 failed");
        File.Exists(Path.Combine(output, "one.pcap")).Should().BeTrue();
        File.Exists(Path.Combine(output, "two.pcap")).Should().BeTrue();
    }

    [Test]
    public void Any_failure_exits_1_and_prints_the_report()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("run-fail");
        var file = Write(dir, "fails.yaml", Passing.Replace("replies: 1", "replies: 2"));

        var (exit, stdout, _) = Run("run", file, "--out", Path.Combine(dir, "out"));

        exit.Should().Be(1);
        stdout.Should().MatchRegex(@"FAIL  fails\s+0\.003s\s+6 frames");
        stdout.Should().Contain($"{file}:7:5: expected ping from a: 2 replies");
        stdout.Should().Contain("1 scenario: 0 passed, 1 failed");
    }

    [Test]
    public void Bad_input_exits_2_with_file_line_col_and_runs_nothing()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("run-bad");
        Write(dir, "good.yaml", Passing);
        var bad = Write(dir, "bad.yaml", Passing.Replace("ip: 192.0.2.11/24", "ip: 192.0.2.256/24"));

        var (exit, stdout, stderr) = Run("run", dir, "--out", Path.Combine(dir, "out"));

        exit.Should().Be(2);
        stderr.Should().StartWith($"{bad}:4:12: bad address '192.0.2.256/24' for 'ip'");
        stderr.Should().NotContain("   at ");
        stdout.Should().BeEmpty();
    }

    [Test]
    public void A_missing_path_is_a_usage_error()
    {
        var (exit, _, stderr) = Run("run", "/nonexistent/scenarios");
        exit.Should().Be(2);
        stderr.Trim().Should().Be("harness: no such file or directory: /nonexistent/scenarios");
    }

    [Test]
    public void No_paths_is_a_usage_error() => Run("run").Exit.Should().Be(2);

    [Test]
    public void The_shipped_scenarios_all_pass_from_the_command_line()
    {
        var output = RepositoryPaths.FreshOutputDirectory("run-shipped");
        var (exit, stdout, _) = Run("run", RepositoryPaths.Scenarios, "--out", output);
        exit.Should().Be(0, stdout);
        // The YAML scenarios and the packetdrill scripts under scenarios/packetdrill together.
        int all = ShippedScenarios.Files().Count() + Directory.GetFiles(RepositoryPaths.Scenarios, "*.pkt", SearchOption.AllDirectories).Length;
        stdout.Should().Contain($"{all} scenarios: {all} passed, 0 failed");
    }

    [Test]
    public void Yaml_and_pkt_files_run_together_and_a_failing_script_names_its_line()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("run-mixed");
        Write(dir, "ping.yaml", Passing);
        Write(dir, "handshake.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0 bind(3, ..., ...) = 0
            +0 listen(3, 1) = 0
            +0 < S 0:0(0) win 8192 <mss 1460>
            +0 > S. 0:0(0) ack 1 <mss 1460>
            +.01 < . 1:1(0) ack 1 win 8192
            +0 accept(3, ..., ...) = 4
            +0 %{ print(tcpi_rtt) }%
            """);
        Write(dir, "late.pkt", """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0 bind(3, ..., ...) = 0
            +0 listen(3, 1) = 0
            +0 < S 0:0(0) win 8192 <mss 1460>
            +.5 > S. 0:0(0) ack 1 <mss 1460>
            """);
        var output = Path.Combine(dir, "out");

        var (exit, stdout, _) = Run("run", dir, "--out", output);

        exit.Should().Be(1, stdout);
        stdout.Should().MatchRegex(@"PASS  handshake\s+0\.010s\s+\d+ frames  \(1 assertions skipped\)");
        stdout.Should().Contain("late.pkt:5:1: timing error");
        stdout.Should().MatchRegex(@"PASS  ping\s");
        stdout.Should().Contain("3 scenarios: 2 passed, 1 failed, 1 assertions skipped");
        File.Exists(Path.Combine(output, "handshake.pcap")).Should().BeTrue();
    }
}
