using System.CommandLine;

namespace Netstack.Cli.Commands;

public static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Print the stack and runtime versions");
        command.SetAction(_ =>
        {
            Console.WriteLine($"netstack harness {typeof(NetworkStack).Assembly.GetName().Version} on .NET {Environment.Version}");
            return 0;
        });
        return command;
    }
}
