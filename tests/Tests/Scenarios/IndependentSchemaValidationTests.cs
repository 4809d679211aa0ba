using System.Diagnostics;
using FluentAssertions;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>The JSON Schema is checked by a validator that shares nothing with the harness: Python's jsonschema over
/// PyYAML, a YAML 1.1 loader as editors use (scripts/validate-scenarios.py; run-tests.sh installs python3-yaml and
/// python3-jsonschema). Every shipped scenario must pass it, and files both must accept or both must reject agree.</summary>
public class IndependentSchemaValidationTests
{
    private static (int Exit, string Output) Validate(params string[] files)
    {
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "scripts", "validate-scenarios.py"));
        foreach (var f in files) psi.ArgumentList.Add(f);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (stderr.Contains("ModuleNotFoundError", StringComparison.Ordinal))
            Assert.Fail($"python3 lacks a module the validator needs (apt-get install python3-yaml python3-jsonschema; run-tests.sh does): {stderr}");
        return (p.ExitCode, stdout.Result + stderr);
    }

    private static string Write(string name, string yaml)
    {
        var path = Path.Combine(RepositoryPaths.FreshOutputDirectory("schema-" + name), name + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Test]
    public void Every_shipped_scenario_is_valid_to_a_yaml_1_1_validator()
    {
        var files = ShippedScenarios.Files().ToArray();
        files.Should().NotBeEmpty();
        var (exit, output) = Validate(files);
        exit.Should().Be(0, output);
        output.Should().Contain($"{files.Length} files, 0 problems");
    }

    [Test]
    public void Numbers_a_yaml_tool_reads_where_the_loader_reads_times_are_valid_to_both()
    {
        // at: 0 and at: +0 are the number 0 to YAML; the loader reads the text. segment: is the new name of on:.
        var file = Write("numbers", """
            segments: { left: { latency: 0 }, right: {} }
            hosts:
              a: { ip: 192.0.2.10/24, segment: left }
              b: { ip: 192.0.2.11/24, segment: left }
            steps:
              - at: 0
                ping: { from: a, to: b, interval: 1.5s }
              - at: +0
                expect: { frame: "icmp", segment: left, tolerance: 0 }
              - at: +0..+5ms
                expect: { no-frame: "udp" }
            """);
        Validate(file).Exit.Should().Be(0);
        using var filters = new FrameFilterCache();
        ScenarioLoader.LoadFile(file, filters).Steps.Should().HaveCount(3);
    }

    [Test]
    public void A_broken_file_is_rejected_by_both_at_the_same_place()
    {
        var file = Write("broken", """
            hosts:
              a: { ip: 192.0.2.10/24 }
              b: { ip: 192.0.2.11/24 }
            steps:
              - ping: { from: a, to: b }
              - expect: { ping: a, replies: many }
            """);
        var (exit, output) = Validate(file);
        exit.Should().Be(1);
        output.Should().Contain("steps/1/expect/replies: 'many' is not of type 'integer'");
        using var filters = new FrameFilterCache();
        var load = () => ScenarioLoader.LoadFile(file, filters);
        load.Should().Throw<ScenarioFormatException>().Which.Message.Should().Be($"{file}:6:33: 'replies' must be a whole number, found 'many'");
    }

    [Test]
    public void The_key_on_is_what_a_yaml_1_1_validator_rejects_so_the_loader_reads_it_only_as_an_old_name()
    {
        var old = Write("old-on", """
            hosts:
              a: { ip: 192.0.2.10/24 }
              b: { ip: 192.0.2.11/24 }
            steps:
              - tcp-listen: { on: b:80 }
              - tcp-connect: { from: a, to: b:80, as: c }
              - tcp-accept: { on: b:80, as: s }
            """);
        Validate(old).Output.Should().Contain("True", "PyYAML reads the key on as the boolean true");
        using var filters = new FrameFilterCache();
        var loaded = ScenarioLoader.LoadFile(old, filters);
        loaded.Steps.OfType<Netstack.Harness.Steps.TcpAcceptStep>().Single().Listener.ToString().Should().Be("b:80");

        var renamed = Write("new-names", File.ReadAllText(old).Replace("tcp-listen: { on:", "tcp-listen: { socket:").Replace("tcp-accept: { on:", "tcp-accept: { listener:"));
        Validate(renamed).Exit.Should().Be(0);
        ScenarioLoader.LoadFile(renamed, filters).Steps.Should().HaveCount(3);

        var both = () => ScenarioLoader.Load("hosts:\n  a: { ip: 192.0.2.10/24 }\nsteps:\n  - tcp-listen: { socket: a:80, on: a:81 }\n", "both.yaml", filters);
        both.Should().Throw<ScenarioFormatException>().Which.Message.Should().Be("both.yaml:4:33: 'on' is the old name of 'socket': give one of them");
    }
}
