using System.Diagnostics;
using Netstack.Time;

namespace Netstack.Harness.Linux;

public sealed record CommandResult(int ExitCode, string Output, string Error, bool TimedOut)
{
    public override string ToString() =>
        $"exit {(TimedOut ? "timeout" : ExitCode.ToString())}\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>Runs a command to completion with a hard timeout (the process tree is killed when it expires).</summary>
public static class CommandRunner
{
    public static CommandResult Run(string file, IEnumerable<string> args, Duration timeout, string? stdin = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        bool exited = process.WaitForExit(timeout.ToTimeSpan());
        if (!exited)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
        }
        return new CommandResult(exited ? process.ExitCode : -1, output.Result, error.Result, !exited);
    }

    public static CommandResult Run(string file, params string[] args) => Run(file, args, Duration.FromSeconds(20));

    /// <summary>Whether an executable is on PATH.</summary>
    public static bool Exists(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, name)));
}
