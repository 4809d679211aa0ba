using FluentAssertions;
using Netstack.Harness.Conformance;
using Netstack.Harness.Linux;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Tap;

/// <summary>A scenario host played by any implementation, written as <c>played-by: { run: COMMAND, interface: NAME }</c>
/// (here the lwIP host binary, as a user would name their own): it is started in a namespace of its own, bridged onto
/// its segment, used through its declared services and exec steps, and ended with everything it started, also when
/// it fails to come up.</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class ExternalHostScenarioTests
{
    [OneTimeSetUp]
    public void Require()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
        RequiredTools.Require("gcc");
    }

    private static string Scenario(string playedBy, string steps) => $"""
        name: external-run
        timeout: 10s
        wire: {"{"} latency: 1ms {"}"}
        hosts:
          tester: {"{"} ip: 10.9.0.1/24, gratuitous-arp: false {"}"}
          dut:
            mac: 02:00:0a:09:00:02
            ip: 10.9.0.2/24
            played-by: {playedBy}
        steps:
        {steps}
        """;

    private static string Lwip => KnownExternalStacks.Quoted(KnownExternalStacks.LwipBinary());

    private static ScenarioResult RunOnTap(string yaml, out string output)
    {
        using var filters = new FrameFilterCache();
        var scenario = ScenarioLoader.Load(yaml, "external-run.yaml", filters);
        output = RepositoryPaths.FreshOutputDirectory("external-run");
        return new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = output, Wire = ScenarioWire.Tap });
    }

    [Test]
    public void A_command_plays_the_host_its_services_answer_and_exec_runs_in_its_namespace()
    {
        var yaml = Scenario($$"""{ run: "exec {{Lwip}}", interface: lwip0, env: { LWIP_UNUSED: "1" }, services: [echo:7, udp-echo:7], start-timeout: 5s }""", """
              - at: 10ms
                ping: { from: tester, to: dut, size: 3000 }
              - expect: { ping: tester, status: success, reply-from: dut }
              - udp-send: { from: tester:5000, to: dut:7, data: "over the bridge" }
              - expect: { udp-receive: tester:5000, data: "over the bridge", from: dut:7 }
              - tcp-connect: { from: tester, to: dut:7, as: c }
              - tcp-send: { conn: c, random: 100000 }
              - expect: { tcp-receive: c, random: 100000 }
              - exec: { host: dut, run: "ip -o link show lwip0; echo netns=$HARNESS_NETNS", output: "master extbr" }
              - exec: { host: dut, run: "exit 3", exit: 3 }
            """);
        var result = RunOnTap(yaml, out var dir);
        result.Passed.Should().BeTrue(result.FailureMessage);
        result.Frames.Should().BeGreaterThan(100);
        TsharkCheck.FindProblems(Path.Combine(dir, "external-run.pcap"), null, null, 7, 5000).Should().BeEmpty();
        ConformanceMatrix.Leftovers().Should().BeEmpty();
    }

    [Test]
    public void An_exec_step_that_exits_otherwise_fails_with_what_the_command_printed()
    {
        var yaml = Scenario($$"""{ run: "exec {{Lwip}}", interface: lwip0 }""", """
              - exec: { host: dut, run: "echo no such thing >&2; exit 4", output: "anything" }
            """);
        var result = RunOnTap(yaml, out _);
        result.Passed.Should().BeFalse();
        result.FailureMessage.Should().Contain("external-run.yaml:11:").And.Contain("exited with 4, expected 0").And.Contain("| no such thing");
        ConformanceMatrix.Leftovers().Should().BeEmpty();
    }

    [Test]
    public void A_command_that_dies_before_creating_its_interface_fails_the_run_with_its_output_and_leaves_nothing()
    {
        var yaml = Scenario("""{ run: "echo cannot open the tap >&2; sleep 30 & exit 3", interface: dut0 }""", """
              - at: 10ms
                ping: { from: tester, to: dut }
            """);
        var run = () => RunOnTap(yaml, out _);
        run.Should().Throw<InvalidOperationException>().WithMessage("*exited with 3 before creating interface dut0*cannot open the tap*");
        // The background sleep inherited the marker and was ended with the host.
        ConformanceMatrix.Leftovers().Should().BeEmpty();
    }

    [Test]
    public void A_command_that_never_creates_its_interface_times_out_after_its_start_timeout()
    {
        var yaml = Scenario("""{ run: "sleep 30", interface: dut0, start-timeout: 300ms }""", """
              - at: 10ms
                ping: { from: tester, to: dut }
            """);
        var run = () => RunOnTap(yaml, out _);
        run.Should().Throw<TimeoutException>().WithMessage("*did not create interface dut0 within 0.3 s*");
        ConformanceMatrix.Leftovers().Should().BeEmpty();
    }

    [Test]
    public void Harness_run_on_the_tap_wire_reports_a_command_that_fails_to_start_as_a_failed_scenario()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("external-run-cli");
        var file = Path.Combine(dir, "external-dies.yaml");
        File.WriteAllText(file, Scenario("""{ run: "exit 7", interface: dut0 }""", """
              - at: 10ms
                ping: { from: tester, to: dut }
            """).Replace("name: external-run", "name: external-dies"));
        var (exit, stdout, _) = CliRunner.Run("run", file, "--wire", "tap", "--out", dir);
        exit.Should().Be(1, stdout);
        stdout.Should().Contain("FAIL  external-dies").And.Contain("the tap wire could not be set up: external host command exited with 7");
        ConformanceMatrix.Leftovers().Should().BeEmpty();
    }

    [Test]
    public void Ctrl_c_ends_the_external_stack_and_everything_it_started()
    {
        RequiredTools.Require("slirp4netns", "socat");
        var dir = RepositoryPaths.FreshOutputDirectory("external-ctrl-c");
        var file = Path.Combine(dir, "slirp-waits.yaml");
        // slirp-host.sh moves slirp4netns and its socat servers into a namespace of their own: only the marker
        // variable ties them to the run.
        File.WriteAllText(file, """
            name: slirp-waits
            timeout: 60s
            hosts:
              tester: { ip: 10.0.2.100/24 }
              sut: { mac: 52:55:0a:00:02:02, ip: 10.0.2.2/24, played-by: slirp }
            steps:
              - udp-send: { from: tester:5000, to: sut:7, data: ping }
              - expect: { frame: "udp src port 9", from: sut }
            """);
        using var harness = HarnessProcess.StartHere("run", "--wire", "tap", "--out", dir, file);
        var marker = $"{ExternalStackHost.NamespacePrefix}{harness.ProcessId}x";
        List<int> Marked() => MarkedProcesses.Find(ExternalStackHost.NamespaceVariable, v => v.StartsWith(marker, StringComparison.Ordinal));
        bool NamespaceExists() => CommandRunner.Run("ip", "netns", "list").Output.Contains(marker);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Marked().Count < 3 && !harness.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Marked().Should().HaveCountGreaterThanOrEqualTo(3, $"slirp4netns and its socat servers run\n{harness.Output}\n{harness.Error}");
        NamespaceExists().Should().BeTrue();
        Thread.Sleep(1000); // into the wait

        harness.Interrupt();

        // Generous: a limit against a hang, not a speed test (at load 50 a stop that takes 0.3 s when quiet can
        // take long); if it is reached, the threads' states say where it waits.
        harness.WaitForExit(Duration.FromSeconds(60)).Should().Be(130, harness.Output + harness.Error + harness.ThreadStates());
        harness.Output.Should().Contain("STOP  slirp-waits").And.Contain("interrupted by SIGINT");
        NamespaceExists().Should().BeFalse("the namespace is deleted on the way out");
        Marked().Where(p => File.Exists($"/proc/{p}/stat") && !File.ReadAllText($"/proc/{p}/stat").Contains(") Z ")).Should().BeEmpty();
    }
}
