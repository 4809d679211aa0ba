using Netstack.Harness.Linux;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Netstack.Time;

namespace Netstack.Tests.Tap;

/// <summary>Our `harness` CLI running as a child process inside a namespace (through `ip netns exec`,
/// which execs it, so the child's pid is the harness itself). Collects its output; Stop sends SIGTERM
/// so it shuts down the way a user's Ctrl-C does, flushing its recording.</summary>
public sealed class HarnessProcess : IDisposable
{
    private const int SIGTERM = 15;
    private const int SIGINT = 2;

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private HarnessProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_output) _output.AppendLine(e.Data);
            if (e.Data.StartsWith("ready ", StringComparison.Ordinal)) _ready.TrySetResult(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_error) _error.AppendLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The built harness.dll of the same configuration (Debug/Release) as this test assembly.</summary>
    public static string DllPath
    {
        get
        {
            var configuration = typeof(HarnessProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()
                ?.Configuration ?? "Debug";
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Harness.sln"))) dir = dir.Parent;
            if (dir is not null)
            {
                var built = Path.Combine(dir.FullName, "src", "Cli", "bin", configuration, "net10.0", "harness.dll");
                if (File.Exists(built)) return built;
            }
            // The test project references the CLI, so a copy sits next to the tests as well.
            return Path.Combine(AppContext.BaseDirectory, "harness.dll");
        }
    }

    public static HarnessProcess Start(NetworkNamespace ns, params string[] args)
    {
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "netns", "exec", ns.Name, "dotnet", DllPath }.Concat(args))
            info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        return new HarnessProcess(Process.Start(info) ?? throw new InvalidOperationException("cannot start harness"));
    }

    /// <summary>The harness in this process's own namespace (for `run --wire tap`, which makes its own).</summary>
    public static HarnessProcess StartHere(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { DllPath }.Concat(args))
            info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        return new HarnessProcess(Process.Start(info) ?? throw new InvalidOperationException("cannot start harness"));
    }

    /// <summary>SIGINT, as Ctrl-C in a terminal sends it.</summary>
    public void Interrupt() => Kill(_process.Id, SIGINT);

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public string Error
    {
        get { lock (_error) return _error.ToString(); }
    }

    public bool HasExited => _process.HasExited;
    public int ProcessId => _process.Id;

    /// <summary>The `ready DEV IP MAC` line, or an exception with everything the process said.</summary>
    public string WaitForReady(Duration timeout)
    {
        var exited = _process.WaitForExitAsync();
        var first = Task.WhenAny(_ready.Task, exited, Task.Delay(timeout.ToTimeSpan())).GetAwaiter().GetResult();
        if (first == _ready.Task) return _ready.Task.Result;
        throw new InvalidOperationException(
            (first == exited ? $"harness exited with {_process.ExitCode} before ready" : $"harness not ready after {timeout}") +
            $"\nstdout:\n{Output}\nstderr:\n{Error}");
    }

    /// <summary>Waits for the process to end on its own; returns its exit code, or null on timeout.</summary>
    public int? WaitForExit(Duration timeout)
    {
        if (!_process.WaitForExit(timeout.ToTimeSpan())) return null;
        _process.WaitForExit(); // drains the redirected streams
        return _process.ExitCode;
    }

    /// <summary>Each thread of the process still running, with its state and the kernel function it waits in
    /// (/proc), for a failure message: tells a harness that hangs from one that is only slow.</summary>
    public string ThreadStates()
    {
        var tasks = $"/proc/{_process.Id}/task";
        if (_process.HasExited || !System.IO.Directory.Exists(tasks)) return "\n(the process has exited)";
        var lines = new StringBuilder("\nthreads (name, state, waiting in):");
        try
        {
            foreach (var task in System.IO.Directory.GetDirectories(tasks))
            {
                string Read(string file) => File.ReadAllText(Path.Combine(task, file)).Trim();
                var stat = Read("stat");
                var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
                lines.Append($"\n  {Read("comm")} {state} {Read("wchan")}");
            }
        }
        catch (IOException)
        {
            lines.Append("\n  (the process ended while being read)");
        }
        return lines.ToString();
    }

    /// <summary>SIGTERM, then the exit code (null if it had to be killed after <paramref name="grace"/>).</summary>
    public int? Stop(Duration grace)
    {
        if (_process.HasExited) return WaitForExit(grace);
        Kill(_process.Id, SIGTERM);
        var code = WaitForExit(grace);
        if (code is null) ForceKill();
        return code;
    }

    private void ForceKill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited) ForceKill();
        _process.Dispose();
    }
}
