using FluentAssertions;
using Netstack.Harness.Packetdrill.Execution;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Packetdrill;

/// <summary>A script's <c>// played-by:</c> comment, read before anything runs: who it names, and the located errors
/// of a script an external host cannot run (system calls) or of a value that names nobody.</summary>
public class PacketdrillPlayedByTests
{
    private static string Write(string name, string text)
    {
        var dir = RepositoryPaths.FreshOutputDirectory("pkt-played-by-" + name);
        var file = Path.Combine(dir, name + ".pkt");
        File.WriteAllText(file, text);
        return file;
    }

    [Test]
    public void System_calls_in_a_script_played_by_an_external_host_are_located_errors()
    {
        var file = Write("syscalls", "// played-by: lwip\n0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 < S 0:0(0) win 8192\n");

        var script = LoadedScript.Load(file);

        script.Analysis.Should().BeNull();
        script.Errors.Should().HaveCount(2);
        script.Errors[0].Should().StartWith($"{file}:2:7: socket() cannot run: the local host is played by lwip (played-by at line 1)")
            .And.EndWith("(it offers echo:7, discard:9, udp-echo:7)");
        script.Errors[1].Should().StartWith($"{file}:3:4: bind() cannot run");
    }

    [Test]
    public void Packets_only_script_names_its_player_and_loads()
    {
        var file = Write("packets", "--bind_port=7\n// TCP echo of the external host\n// played-by: ours-tap\n0.000 < S 0:0(0) win 8192 <mss 1460>\n+0 > S. 0:0(0) ack 1 <...>\n");

        var script = LoadedScript.Load(file);

        script.Errors.Should().BeEmpty();
        script.Player!.Known.Should().Be("ours-tap");
        script.Player.IsExternal.Should().BeTrue();
        script.Player.Location.Line.Should().Be(3);
    }

    [Test]
    public void Command_form_gives_the_command_and_its_interface()
    {
        var file = Write("command", "// played-by: { run: \"./my-stack --tap\", interface: st0 }\n0.000 < S 0:0(0) win 8192\n");

        var player = LoadedScript.Load(file).Player!;

        (player.Command, player.Interface, player.Name).Should().Be(("./my-stack --tap", "st0", "run: ./my-stack --tap"));
    }

    [Test]
    public void Linux_is_the_kernel_and_may_make_system_calls()
    {
        var file = Write("linux", "// played-by: linux\n0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");

        var script = LoadedScript.Load(file);

        script.Errors.Should().BeEmpty();
        script.Player!.IsLinux.Should().BeTrue();
    }

    [TestCase("// played-by: winsock", "2:15: played-by: unknown implementation 'winsock' (known: linux, lwip, slirp, ours-tap, or { run: COMMAND, interface: NAME })")]
    [TestCase("// played-by: { run: ./x }", "2:15: played-by: a command needs both run: and interface:")]
    [TestCase("// played-by: { run: ./x, interface: t0, mtu: 9000 }", "2:15: played-by: unknown key 'mtu'")]
    public void A_value_that_names_nobody_is_a_located_error(string line, string expected)
    {
        var file = Write("bad", "--bind_port=7\n" + line + "\n0.000 < S 0:0(0) win 8192\n");

        var script = LoadedScript.Load(file);

        script.Errors.Should().ContainSingle().Which.Should().StartWith($"{file}:{expected}");
    }

    [Test]
    public void A_comment_after_the_first_event_is_only_a_comment()
    {
        var file = Write("late", "0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n// played-by: lwip\n");

        LoadedScript.Load(file).Player.Should().BeNull();
    }
}
