using System.CommandLine;
using Netstack.Cli.Commands;
using Netstack.Drivers.Capture;

namespace Netstack.Cli;

/// <summary>The `harness` command line. Exit codes: 0 success, 1 a scenario or check failed,
/// 2 bad input or usage (with a message, never a stack trace), 130 interrupted by SIGINT/SIGTERM (after cleaning up).</summary>
public static class Program
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;
    /// <summary>Stopped by SIGINT (128 + 2, as a shell reports it).</summary>
    public const int ExitInterrupted = 130;

    public static int Main(string[] args)
    {
        var root = new RootCommand("Userspace TCP/IP stack and protocol test harness");
        // Each subcommand lives in Commands/, one file per command.
        foreach (var command in CommandCatalog.All())
            root.Subcommands.Add(command);

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
                Console.Error.WriteLine($"harness: {error.Message}");
            Console.Error.WriteLine("Run './harness --help' for usage.");
            return ExitUsage;
        }
        try
        {
            // Our own handlers below turn user errors into one line; the default handler would print a stack trace.
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (LibpcapMissingException e)
        {
            Console.Error.WriteLine($"harness: {e.Message}");
            return ExitUsage;
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"harness: {e.Message}");
            return ExitUsage;
        }
    }
}

/// <summary>Bad input the user can fix: reported as one line and exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
