using FluentAssertions;
using Netstack.Harness.Conformance;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>The conformance matrix without the tap wire: casting a host, cells that do not apply (with the loader's
/// located reason), the expectations file, and the external host forms on the virtual wire (SKIP).</summary>
public class MatrixTests
{
    private static string Conformance => Path.Combine(RepositoryPaths.Scenarios, "conformance");

    [Test]
    public void Ours_passes_every_neutral_scenario_on_the_virtual_wire()
    {
        var (exit, stdout, stderr) = CliRunner.Run("matrix", Conformance, "--against", "ours", "--out", RepositoryPaths.FreshOutputDirectory("matrix-ours"));
        exit.Should().Be(0, stdout + stderr);
        var files = Directory.EnumerateFiles(Conformance, "*.yaml").Count();
        files.Should().BeGreaterThanOrEqualTo(10);
        stdout.Should().Contain($"{files} cells: {files} pass, 0 fail, 0 n/a");
    }

    [Test]
    public void Casting_the_sut_as_lwip_reloads_the_file_as_if_it_said_so()
    {
        using var filters = new FrameFilterCache();
        var file = Path.Combine(Conformance, "conf-udp-echo.yaml");
        var lwip = ScenarioLoader.LoadFile(file, filters, ("sut", "lwip"));
        var sut = lwip.FindHost("sut")!;
        sut.PlayedBy.Should().Be(HostPlayer.External);
        sut.External!.Known.Should().Be("lwip");
        sut.Services.Should().Equal(new ServiceSpec("echo", 7), new ServiceSpec("discard", 9), new ServiceSpec("udp-echo", 7));
        ScenarioLoader.LoadFile(file, filters, ("sut", "linux")).FindHost("sut")!.PlayedBy.Should().Be(HostPlayer.Linux);
        var missing = () => ScenarioLoader.LoadFile(file, filters, ("dut", "lwip"));
        missing.Should().Throw<ScenarioFormatException>().WithMessage("*no host 'dut' to be played by lwip");
    }

    [Test]
    public void A_scenario_that_calls_the_sut_api_is_not_applicable_to_an_external_stack_with_the_located_reason()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("matrix-na");
        var file = Path.Combine(dir, "pings-from-sut.yaml");
        File.WriteAllText(file, """
            name: pings-from-sut
            hosts:
              tester: { ip: 10.0.2.100/24 }
              sut: { mac: 52:55:0a:00:02:02, ip: 10.0.2.2/24, played-by: linux }
            steps:
              - ping: { from: sut, to: tester }
              - expect: { ping: sut, replies: 1 }
            """);
        using var filters = new FrameFilterCache();
        var matrix = new ConformanceMatrix();
        var ours = matrix.RunCell(file, "ours", filters, null);
        ours.Outcome.Should().Be(CellOutcome.Pass, ours.Detail);
        var lwip = matrix.RunCell(file, "lwip", filters, null);
        lwip.Outcome.Should().Be(CellOutcome.NotApplicable);
        lwip.Detail.Should().Be($"{file}:6:19: host 'sut' is played by lwip, which offers no API for 'from': use its services from another host's steps, or exec in its namespace");
        var slirpWrongAddress = matrix.RunCell(Path.Combine(RepositoryPaths.Scenarios, "linux-udp.yaml"), "slirp", filters, null);
        slirpWrongAddress.Outcome.Should().Be(CellOutcome.NotApplicable);
        slirpWrongAddress.Detail.Should().Contain("no host 'sut'");
    }

    [Test]
    public void Expectations_judge_new_documented_vanished_and_not_applicable_cells()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("matrix-expect");
        var path = Path.Combine(dir, "expected.txt");
        File.WriteAllText(path, "# comment\nconf-a lwip: differs: L9, RFC 6298 2.1\nconf-b slirp: n/a: no echo\n");
        var e = MatrixExpectations.Load(path);
        MatrixCell Cell(string s, string i, CellOutcome o) => new(s, s + ".yaml", i, o, "x.yaml:3:5: expected something", 0, null);
        e.Judge(Cell("conf-a", "lwip", CellOutcome.Fail)).Should().BeNull();
        e.Judge(Cell("conf-a", "lwip", CellOutcome.Pass)).Should().Contain("no longer shows");
        e.Judge(Cell("conf-a", "linux", CellOutcome.Fail)).Should().StartWith("NEW difference").And.Contain("x.yaml:3:5");
        e.Judge(Cell("conf-a", "linux", CellOutcome.Pass)).Should().BeNull();
        e.Judge(Cell("conf-b", "slirp", CellOutcome.NotApplicable)).Should().BeNull();
        e.Judge(Cell("conf-b", "slirp", CellOutcome.Pass)).Should().Contain("expected n/a");
        e.Judge(Cell("conf-a", "ours", CellOutcome.NotApplicable)).Should().Contain("expected pass, but not applicable");
        e.Judge(Cell("conf-a", "lwip", CellOutcome.Inconclusive)).Should().BeNull("no verdict is no surprise");
        e.Judge(Cell("conf-b", "slirp", CellOutcome.Inconclusive)).Should().Contain("expected n/a");

        File.WriteAllText(path, "conf-a lwip: differs\n");
        var noReference = () => MatrixExpectations.Load(path);
        noReference.Should().Throw<ScenarioFormatException>().WithMessage($"{path}:1:1: a documented difference needs its reference*");
        File.WriteAllText(path, "\nconf-a lwip passes\n");
        var bad = () => MatrixExpectations.Load(path);
        bad.Should().Throw<ScenarioFormatException>().WithMessage($"{path}:2:1: expected 'SCENARIO IMPLEMENTATION: pass*");
    }

    [Test]
    public void An_inconclusive_cell_is_shown_with_why_and_skipped_in_junit_not_failed()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("matrix-inconclusive");
        var path = Path.Combine(dir, "expected.txt");
        File.WriteAllText(path, "conf-a lwip: differs: L9, RFC 6298 2.1\n");
        var e = MatrixExpectations.Load(path);
        const string why = "conf-a.yaml:1:1: inconclusive: in all 8 runs it passed only allowing for the harness's own stall (up to 310 ms in the last), which could hide a difference of timing";
        var cells = new[]
        {
            new MatrixCell("conf-a", "conf-a.yaml", "linux", CellOutcome.Pass, null, 1, null),
            new MatrixCell("conf-a", "conf-a.yaml", "lwip", CellOutcome.Inconclusive, why, 1, null),
        };
        MatrixReport.CellText(cells[1], e).Should().Be("inconclusive", "no (!): it is not a surprise");
        var table = MatrixReport.Table(cells, ["linux", "lwip"], e);
        table.Should().Contain("conf-a × lwip: [L9, RFC 6298 2.1] " + why).And.NotContain("(!)");
        MatrixReport.Markdown(cells, ["linux", "lwip"], e).Should().Contain("| conf-a | pass | inconclusive |");
        var junit = Path.Combine(dir, "matrix.xml");
        MatrixReport.WriteJUnit(junit, cells, e, 2, []);
        var lwip = System.Xml.Linq.XDocument.Load(junit).Descendants("testcase").Single(c => (string)c.Attribute("name")! == "conf-a × lwip");
        lwip.Elements("failure").Should().BeEmpty();
        lwip.Element("skipped")!.Attribute("message")!.Value.Should().Contain("inconclusive: in all 8 runs");
    }

    [Test]
    public void The_shipped_expectations_load_and_name_only_shipped_scenarios_and_known_implementations()
    {
        var path = Path.Combine(Conformance, "expected.txt");
        MatrixExpectations.Load(path);
        var names = Directory.EnumerateFiles(Conformance, "*.yaml").Select(Path.GetFileNameWithoutExtension).ToHashSet();
        foreach (var line in File.ReadAllLines(path).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var words = line.Split(' ');
            names.Should().Contain(words[0]);
            ConformanceMatrix.Implementations.Should().Contain(words[1].TrimEnd(':'));
        }
    }

    [Test]
    public void Unknown_implementation_is_a_usage_error()
    {
        var (exit, _, stderr) = CliRunner.Run("matrix", Conformance, "--against", "ours,bsd");
        exit.Should().Be(2);
        stderr.Should().Contain("--against: unknown implementation 'bsd' (known: ours, ours-tap, linux, lwip, slirp)");
    }

    [Test]
    public void On_the_virtual_wire_an_external_host_is_skipped_with_the_reason()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("external-virtual");
        var file = Path.Combine(dir, "lwip-virtual.yaml");
        File.WriteAllText(file, """
            name: lwip-virtual
            hosts:
              tester: { ip: 10.0.2.100/24 }
              sut: { ip: 10.0.2.7/24, played-by: { run: "exec mystack", interface: tap7, services: [http:80] } }
            steps:
              - tcp-connect: { from: tester, to: sut:80, as: c }
              - exec: { host: sut, run: "true" }
            """);
        var (exit, stdout, _) = CliRunner.Run("run", file, "--out", dir);
        exit.Should().Be(0, stdout);
        stdout.Should().Contain("SKIP  lwip-virtual  host 'sut' is played by exec mystack, which runs only on the tap wire (--wire tap)");
    }
}
