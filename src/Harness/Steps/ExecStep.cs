using Netstack.Harness.Running;
using Netstack.Time;

namespace Netstack.Harness.Steps;

/// <summary><c>exec: { host: sut, run: "ip -s link", exit: 0, output: "lwip0" }</c>: runs a shell command in the
/// namespace of a host Linux or an external implementation plays, and fails unless it exits with
/// <see cref="ExitCode"/> and prints <see cref="OutputContains"/>. The run waits for the command (at most
/// <see cref="Timeout"/>), so it is for short checks and settings, not for traffic.</summary>
public sealed class ExecStep : ActionStep
{
    public required string Host { get; init; }
    public required string Command { get; init; }
    public int ExitCode { get; init; }
    public string? OutputContains { get; init; }
    public Duration Timeout { get; init; } = Duration.FromSeconds(5);

    public override void Run(ScenarioRun run)
    {
        var (exit, output, timedOut) = run.Host(Host).Exec(Command, Timeout);
        if (timedOut)
            throw new StepFailedException($"'{Command}' on {Host} did not finish within {Timeout.TotalSeconds:0.###} s; output:{Quote(output)}");
        if (exit != ExitCode)
            throw new StepFailedException($"'{Command}' on {Host} exited with {exit}, expected {ExitCode}; output:{Quote(output)}");
        if (OutputContains is { } text && !output.Contains(text, StringComparison.Ordinal))
            throw new StepFailedException($"'{Command}' on {Host} printed no \"{text}\"; output:{Quote(output)}");
    }

    private static string Quote(string output) =>
        output.Length == 0 ? " (none)" : Environment.NewLine + string.Join(Environment.NewLine, output.TrimEnd().Split('\n').Take(20).Select(l => "    | " + l));

    public override string Describe() =>
        $"exec on {Host}: {Command}" + (ExitCode != 0 ? $" (exit {ExitCode})" : "") + (OutputContains is { } t ? $" printing \"{t}\"" : "");
}
