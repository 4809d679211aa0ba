using System.CommandLine;

namespace Netstack.Cli.Commands;

/// <summary>The subcommands of `harness`, in the order --help lists them.</summary>
public static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return RunCommand.Create();
        yield return MatrixCommand.Create();
        yield return BenchCommand.Create();
        yield return FuzzCommand.Create();
        yield return VersionCommand.Create();
        yield return TapCommand.Create();
        yield return ReplayCommand.Create();
        yield return MergeCommand.Create();
        yield return PacketdrillParseCommand.Create();
    }
}
