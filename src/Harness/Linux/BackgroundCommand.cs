using System.Diagnostics;
using Netstack.Time;

namespace Netstack.Harness.Linux;

/// <summary>A helper process (a Linux server in a namespace) that runs while a test drives it; Dispose
/// kills it if it is still running.</summary>
public sealed class BackgroundCommand : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _output;
    private readonly Task<string> _error;

    public BackgroundCommand(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        _process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        _output = _process.StandardOutput.ReadToEndAsync();
        _error = _process.StandardError.ReadToEndAsync();
    }

    public CommandResult? WaitForExit(Duration timeout) =>
        _process.WaitForExit(timeout.ToTimeSpan()) ? new CommandResult(_process.ExitCode, _output.Result, _error.Result, false) : null;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            _process.WaitForExit(5000);
        }
        _process.Dispose();
    }
}
