using Netstack.Harness.Conformance;
using Netstack.Harness.Linux;
using Netstack.Harness.Packetdrill.Execution;
using Netstack.Harness.Running;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Tap;

/// <summary>Packetdrill scripts whose local side is an external host (<c>// played-by:</c>): lwIP, our stack as
/// `harness tap` (ours-tap) and a <c>{ run: ..., interface: ... }</c> command answer a packets-only script against
/// their TCP echo service on the real wire; a reply that differs fails at its line; nothing is left behind.</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class PacketdrillPlayedByTapTests
{
    [SetUp]
    public void RequireTap()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
        RequiredTools.Require("gcc");
    }

    private const string Echo = """
        --bind_port=7
        --tolerance_usecs=500000
        // TCP echo on port 7 of an external host: the handshake, five bytes echoed, no socket calls. The tolerance is
        // for a loaded machine: the host is another process.
        // played-by: {0}
        0.000 < S 0:0(0) win 8192 <mss 1460>
        +0 > S. 0:0(0) ack 1 <...>
        +.01 < . 1:1(0) ack 1 win 8192
        +0 < P. 1:6(5) ack 1 win 8192
        +0 > P. 1:6(5) ack 6 <...>
        +.01 < . 6:6(0) ack 6 win 8192
        """;

    private static ScenarioResult Run(string name, string script)
    {
        var dir = RepositoryPaths.FreshOutputDirectory("pkt-played-by-" + name);
        var file = Path.Combine(dir, name + ".pkt");
        File.WriteAllText(file, script + "\n");
        var loaded = LoadedScript.Load(file);
        Assert.That(loaded.Errors, Is.Empty);
        return PacketdrillRunner.Run(loaded, new RunOptions { OutputDirectory = dir });
    }

    [TestCase("lwip")]
    [TestCase("ours-tap")]
    public void Known_external_host_answers_a_packets_only_script(string player)
    {
        var result = Run("echo-" + player, Echo.Replace("{0}", player));

        Assert.That(result.Passed, Is.True, result.FailureMessage);
        Assert.That(result.Wire, Is.EqualTo(ScenarioWire.Tap), "an external host runs on the real wire whatever --wire says");
        Assert.That(ConformanceMatrix.Leftovers(), Is.Empty);
    }

    [Test]
    public void Command_form_runs_the_command_as_the_local_host()
    {
        var command = Path.Combine(RepositoryPaths.Root, "scripts", "ours-tap-host.sh");
        // The command is a .NET program: on a loaded machine it takes longer than the default 10 s to make its tap.
        var result = Run("echo-command", Echo.Replace("{0}", $"{{ run: \"'{command}'\", interface: st0, start-timeout: 60s }}"));

        Assert.That(result.Passed, Is.True, result.FailureMessage);
        Assert.That(ConformanceMatrix.Leftovers(), Is.Empty);
    }

    [Test]
    public void A_reply_other_than_the_script_says_fails_at_its_line()
    {
        // lwIP's echo is five bytes; the script wants six.
        var result = Run("echo-wrong", Echo.Replace("{0}", "lwip").Replace("+0 > P. 1:6(5) ack 6 <...>", "+0 > P. 1:7(6) ack 6 <...>"));

        Assert.That(result.Passed, Is.False);
        Assert.That(result.FailureMessage, Does.Contain("echo-wrong.pkt:10:1:"));
        Assert.That(ConformanceMatrix.Leftovers(), Is.Empty);
    }
}
