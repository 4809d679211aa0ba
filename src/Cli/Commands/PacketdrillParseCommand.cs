using System.CommandLine;
using Netstack.Harness.Packetdrill;

namespace Netstack.Cli.Commands;

/// <summary>`harness pkt-parse DIR` (hidden): parses every .pkt under DIR without running it and prints how many
/// parse, IPv4 / IPv6 / Fast Open apart, with the most common first errors. Measures the packetdrill front end
/// against public suites; exit 0 when every script parsed, 1 otherwise.</summary>
public static class PacketdrillParseCommand
{
    public static Command Create()
    {
        var folder = new Argument<DirectoryInfo>("DIR") { Description = "Folder searched for *.pkt" };
        var verbose = new Option<bool>("--list") { Description = "Also print every script's first error" };
        var command = new Command("pkt-parse", "Parse packetdrill scripts and report what the front end accepts")
        {
            folder, verbose,
        };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            var directory = parse.GetValue(folder)!;
            if (!directory.Exists)
            {
                Console.Error.WriteLine($"harness: {directory.FullName}: no such folder");
                return Program.ExitUsage;
            }
            var scan = PacketdrillSuiteScan.Run(directory.FullName);
            if (parse.GetValue(verbose))
                foreach (var script in scan.Scripts.Where(s => !s.Parsed))
                    Console.WriteLine(script.FirstError);
            Console.Write(scan.Report());
            return scan.Scripts.All(s => s.Parsed) ? Program.ExitOk : Program.ExitFailed;
        });
        return command;
    }
}
