using FluentAssertions;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Packetdrill;

/// <summary>The hidden `harness pkt-parse DIR`: counts what parses under a folder, with the first errors of the rest.</summary>
public class PacketdrillParseCommandTests
{
    [Test]
    public void Counts_our_scripts_and_names_the_broken_ones_reasons()
    {
        var (exitGood, outGood, _) = CliRunner.Run("pkt-parse", RepositoryPaths.TestsFolder("Packetdrill", "Scripts"));
        var (exitBroken, outBroken, _) = CliRunner.Run("pkt-parse", RepositoryPaths.TestsFolder("Packetdrill", "Broken"));

        exitGood.Should().Be(0);
        outGood.Should().Contain("all                              3 scripts      3 parse  (100.0%)");
        exitBroken.Should().Be(1);
        outBroken.Should().MatchRegex(@"all\s+17 scripts\s+0 parse");
        outBroken.Should().Contain("first error of the scripts that do not parse:");
        outBroken.Should().Contain("is not a TCP flag");
    }

    [Test]
    public void A_missing_folder_is_a_usage_error()
    {
        var (exit, _, err) = CliRunner.Run("pkt-parse", "/nonexistent/pkt-folder");

        exit.Should().Be(2);
        err.Should().Contain("/nonexistent/pkt-folder: no such folder");
    }
}
