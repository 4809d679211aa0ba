using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Netstack.Drivers.Tap;
using Netstack.Time;

namespace Netstack.Harness.Linux;

/// <summary>A host played by a third-party stack (lwIP, libslirp, a VM...): a namespace made for it holding a Linux
/// bridge and our own tap on that bridge; the host's command runs inside the namespace, creates its interface, and
/// once that exists the interface is enslaved to the bridge. What the host sends reaches <see cref="Tap"/>, and what
/// is written to <see cref="Tap"/> reaches the host, so the runner bridges <see cref="Tap"/> onto the host's segment
/// as it does a Linux peer's. Dispose ends the command (every process that inherited its marker variable) and deletes
/// the namespace with the bridge and taps; a later run cleans up what a killed one left.</summary>
public sealed class ExternalStackHost : IDisposable
{
    /// <summary>Namespaces are named PREFIX + process id + x + counter; the id says whether their run is alive.</summary>
    public const string NamespacePrefix = "nsext";
    /// <summary>Set to the namespace's name in the command's environment: tells the command where it runs, and marks
    /// its processes (<see cref="MarkedProcesses"/>).</summary>
    public const string NamespaceVariable = "HARNESS_NETNS";
    public const string BridgeName = "extbr";
    public const string OurTapName = "exttap";
    private static readonly Duration StopGrace = Duration.FromSeconds(3);
    private const int OutputKept = 16 * 1024;

    private readonly StringBuilder _output = new();
    private Process? _process;
    private bool _disposed;

    private ExternalStackHost(ExternalHostSpec spec, NetworkNamespace ns)
    {
        Spec = spec;
        Namespace = ns;
    }

    public ExternalHostSpec Spec { get; }
    public NetworkNamespace Namespace { get; }
    /// <summary>Our tap on the host's bridge (opened for the real-time loop given to <see cref="Start"/>).</summary>
    public TapLink Tap { get; private set; } = null!;

    /// <summary>What the command has printed so far (the last 16 KiB of stdout and stderr, interleaved).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Whether the command is still running (a host that died mid-run explains a silent wire).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Builds the namespace and bridge, starts the command, waits (at most the spec's start timeout) for its
    /// interface, enslaves it, and opens our tap. Any failure leaves nothing behind and says what went wrong.</summary>
    public static ExternalStackHost Start(ExternalHostSpec spec, RealTimeEventLoop loop)
    {
        if (spec.Problem() is { } problem) throw new ArgumentException($"external host: {problem}", nameof(spec));
        if (TapPrerequisites.MissingReason() is { } missing)
            throw new InvalidOperationException($"an external host needs a namespace and taps, but {missing}");
        RemoveStale();
        var ns = NetworkNamespace.Create(NamespacePrefix);
        var host = new ExternalStackHost(spec, ns);
        try
        {
            host.BuildBridge();
            // Our tap is open before the host can send anything: a tap without a reader has no carrier, its bridge
            // port stays disabled, and the host's first frames (lwIP's ARP announcement) would be dropped.
            host.Tap = ns.RunInside(() => new TapLink(loop, OurTapName, spec.Mtu));
            // The bridge enables our port only once it sees the carrier our open gave it (a link-watch event, which the
            // kernel may defer): until it forwards, what the host sends towards us is dropped there.
            host.WaitForForwarding(OurTapName);
            host.StartCommand();
            host.WaitForInterface();
            ns.MustRun("ip", "link", "set", "dev", spec.Interface, "mtu", spec.Mtu.ToString(), "master", BridgeName, "up");
            host.WaitForForwarding(spec.Interface);
            host.WaitForReadyOutput();
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>No IPv6 (NetworkNamespace turns it off) and no multicast snooping: the bridge itself stays silent,
    /// so every frame on the wire is the host's or ours.</summary>
    private void BuildBridge()
    {
        Namespace.MustRun("ip", "link", "add", BridgeName, "type", "bridge", "mcast_snooping", "0", "stp_state", "0");
        Namespace.MustRun("ip", "tuntap", "add", "dev", OurTapName, "mode", "tap");
        Namespace.MustRun("ip", "link", "set", "dev", OurTapName, "mtu", Spec.Mtu.ToString(), "master", BridgeName, "up");
        Namespace.MustRun("ip", "link", "set", "dev", BridgeName, "up");
    }

    private void StartCommand()
    {
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "netns", "exec", Namespace.Name, "/bin/sh", "-c", Spec.Command }) info.ArgumentList.Add(a);
        foreach (var (key, value) in Spec.Variables(Namespace.Name)) info.Environment[key] = value;
        _process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start: {Spec.Command}");
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _process.StandardInput.Close();
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.AppendLine(line);
            if (_output.Length > OutputKept) _output.Remove(0, _output.Length - OutputKept);
        }
    }

    private void WaitForInterface()
    {
        var deadline = DateTime.UtcNow + Spec.StartTimeout.ToTimeSpan();
        while (true)
        {
            if (Namespace.RunInside(() => IfNameToIndex(Spec.Interface)) != 0) return;
            if (_process!.HasExited)
            {
                _process.WaitForExit(); // flushes the output handlers
                throw new InvalidOperationException(
                    $"external host command exited with {_process.ExitCode} before creating interface {Spec.Interface}: " +
                    $"{Spec.Command}\n{Output.TrimEnd()}");
            }
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException(
                    $"external host command did not create interface {Spec.Interface} within {Spec.StartTimeout.TotalSeconds:0.#} s: " +
                    $"{Spec.Command}\n{Output.TrimEnd()}");
            Thread.Sleep(10);
        }
    }

    /// <summary>A bridge port passes frames only once it is forwarding; until then what the host sends is lost.</summary>
    private void WaitForForwarding(string port)
    {
        var deadline = DateTime.UtcNow + Spec.StartTimeout.ToTimeSpan();
        string state;
        while (!(state = Namespace.Run("ip", "-d", "link", "show", "dev", port).Output).Contains("bridge_slave state forwarding"))
        {
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"bridge port {port} of the external host is not forwarding after " +
                    $"{Spec.StartTimeout.TotalSeconds:0.#} s (a tap no process has open has no carrier):\n{state.Trim()}\n{Output.TrimEnd()}");
            Thread.Sleep(10);
        }
    }

    private void WaitForReadyOutput()
    {
        if (Spec.ReadyOutput is not { } ready) return;
        var deadline = DateTime.UtcNow + Spec.StartTimeout.ToTimeSpan();
        while (!Output.Contains(ready, StringComparison.Ordinal))
        {
            if (_process!.HasExited || DateTime.UtcNow >= deadline)
                throw new TimeoutException($"external host command did not print '{ready}' within {Spec.StartTimeout.TotalSeconds:0.#} s: " +
                    $"{Spec.Command}\n{Output.TrimEnd()}");
            Thread.Sleep(10);
        }
    }

    [DllImport("libc", EntryPoint = "if_nametoindex")]
    private static extern uint IfNameToIndex([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    /// <summary>Ends what a killed run left: the processes marked with a namespace of a dead harness process (they may
    /// have outlived their namespace or left it), then the namespaces themselves (NetworkNamespace.Create does that).</summary>
    private static void RemoveStale()
    {
        MarkedProcesses.End(NamespaceVariable, IsStale, Duration.FromSeconds(1));
    }

    private static bool IsStale(string namespaceName)
    {
        if (!namespaceName.StartsWith(NamespacePrefix, StringComparison.Ordinal)) return false;
        var pid = namespaceName[NamespacePrefix.Length..].Split('x')[0];
        return int.TryParse(pid, out var id) && id != Environment.ProcessId && !Directory.Exists($"/proc/{id}");
    }

    /// <summary>What of this host is still there: running processes and the namespace (empty when all is gone).</summary>
    public IReadOnlyList<string> Leftovers()
    {
        var left = MarkedProcesses.Running(NamespaceVariable, Namespace.Name).Select(pid => $"process {pid}").ToList();
        if (File.Exists($"/var/run/netns/{Namespace.Name}")) left.Add($"namespace {Namespace.Name}");
        return left;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Tap?.Dispose();
        MarkedProcesses.End(NamespaceVariable, Namespace.Name, StopGrace);
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            }
            _process.WaitForExit(2000);
            _process.Dispose();
        }
        Namespace.Dispose();
    }
}
