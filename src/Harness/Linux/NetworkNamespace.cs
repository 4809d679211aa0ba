using System.Runtime.InteropServices;
using Netstack.Drivers.Tap;
using Netstack.Time;

namespace Netstack.Harness.Linux;

/// <summary>A Linux network namespace made for one run or test fixture: unique name, IPv6 off (no MLD or router
/// solicitations in captures), loopback up. Dispose deletes it, which also removes the taps inside.</summary>
public sealed class NetworkNamespace : IDisposable
{
    private static int _counter;

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    public static NetworkNamespace Create(string prefix)
    {
        RemoveStale(prefix);
        var name = $"{prefix}{Environment.ProcessId}x{Interlocked.Increment(ref _counter)}";
        var created = CommandRunner.Run("ip", "netns", "add", name);
        if (created.ExitCode != 0) throw new InvalidOperationException($"ip netns add {name}: {created}");
        var ns = new NetworkNamespace(name);
        try
        {
            ns.MustRun("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
            ns.MustRun("ip", "link", "set", "lo", "up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }
        return ns;
    }

    /// <summary>Deletes namespaces an earlier, killed test run left behind: same prefix, dead process id.</summary>
    private static void RemoveStale(string prefix)
    {
        foreach (var line in CommandRunner.Run("ip", "netns", "list").Output.Split('\n'))
        {
            var name = line.Split(' ', 2)[0];
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var pid = name[prefix.Length..].Split('x')[0];
            if (int.TryParse(pid, out var id) && id != Environment.ProcessId && !Directory.Exists($"/proc/{id}"))
                CommandRunner.Run("ip", "netns", "del", name);
        }
    }

    /// <summary>Runs a command inside the namespace.</summary>
    public CommandResult Run(Duration timeout, string file, params string[] args) =>
        CommandRunner.Run("ip", new[] { "netns", "exec", Name, file }.Concat(args), timeout);

    public CommandResult RunWithInput(Duration timeout, string stdin, string file, params string[] args) =>
        CommandRunner.Run("ip", new[] { "netns", "exec", Name, file }.Concat(args), timeout, stdin);

    public CommandResult Run(string file, params string[] args) => Run(Duration.FromSeconds(20), file, args);

    /// <summary>Starts a command inside the namespace without waiting for it.</summary>
    public BackgroundCommand Start(string file, params string[] args) =>
        new("ip", new[] { "netns", "exec", Name, file }.Concat(args));

    /// <summary>Waits until something listens on TCP <paramref name="port"/> in the namespace.</summary>
    public bool WaitForTcpListener(ushort port, Duration timeout)
    {
        var deadline = DateTime.UtcNow + timeout.ToTimeSpan();
        while (DateTime.UtcNow < deadline)
        {
            if (Run("ss", "-Hltn", $"sport = :{port}").Output.Contains($":{port}")) return true;
            Thread.Sleep(50);
        }
        return false;
    }

    public CommandResult MustRun(string file, params string[] args)
    {
        var r = Run(file, args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} in {Name}: {r}");
        return r;
    }

    /// <summary>Creates a TAP device owned by nobody in particular, with the kernel's side addressed and up.</summary>
    public void AddTap(string device, string kernelCidr, int? mtu = null)
    {
        MustRun("ip", "tuntap", "add", "dev", device, "mode", "tap");
        MustRun("ip", "addr", "add", kernelCidr, "dev", device);
        if (mtu is { } m) MustRun("ip", "link", "set", device, "mtu", m.ToString());
        MustRun("ip", "link", "set", device, "up");
    }

    /// <summary>Opens the tap <paramref name="device"/> (made, addressed and still down) from inside the namespace,
    /// then brings it up, and returns once the kernel transmits on it. The order matters: a tap gets its carrier
    /// when a reader opens it, and a device brought up without carrier keeps the "noop" queueing discipline, which
    /// drops every frame the kernel sends, until link-watch handles the carrier event in a kernel worker, which a
    /// loaded machine runs late. Brought up with carrier, the device gets its queueing discipline at once, in the
    /// command that brings it up. Measured with an ARP request written at once into a fresh tap, at load 8-13: the
    /// reply was lost 6 times in 330 when the tap was up before it was opened, 0 in 290 when opened first.</summary>
    public TapLink OpenTap(RealTimeEventLoop loop, string device, int mtu, bool offload = false)
    {
        var tap = RunInside(() => new TapLink(loop, device, mtu, offload));
        try
        {
            MustRun("ip", "link", "set", "dev", device, "up");
            WaitUntilTransmitting(device, Duration.FromSeconds(5));
            return tap;
        }
        catch
        {
            tap.Dispose();
            throw;
        }
    }

    /// <summary>Waits until <paramref name="device"/> is up with its queueing discipline in place (not "qdisc noop"):
    /// only then does what the kernel sends on it leave.</summary>
    public void WaitUntilTransmitting(string device, Duration timeout)
    {
        var deadline = DateTime.UtcNow + timeout.ToTimeSpan();
        string shown;
        while ((shown = MustRun("ip", "-o", "link", "show", "dev", device).Output).Contains(" qdisc noop ", StringComparison.Ordinal)
               || !shown.Contains(",UP", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"{device} in {Name} does not transmit after {timeout.TotalSeconds:0.#} s: {shown.Trim()}");
            Thread.Sleep(5);
        }
    }

    /// <summary>Runs <paramref name="open"/> on a thread that has entered the namespace, so the sockets and tap
    /// descriptors it opens belong to the namespace (a socket keeps the namespace it was made in, whichever
    /// thread uses it later). One such thread serves the namespace for its lifetime: making a thread and entering
    /// the namespace per call would cost milliseconds, which a real-time scenario step cannot spare.</summary>
    public T RunInside<T>(Func<T> open)
    {
        var work = new InsideWork(() => open()!);
        lock (_insideLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _inside ??= StartInsideThread();
            _inside.Add(work);
        }
        work.Done.Wait();
        if (work.Failure is { } failure) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return (T)work.Result!;
    }

    private sealed class InsideWork(Func<object> run)
    {
        public readonly ManualResetEventSlim Done = new();
        public object? Result;
        public Exception? Failure;

        public void Run()
        {
            try
            {
                Result = run();
            }
            catch (Exception e)
            {
                Failure = e;
            }
            Done.Set();
        }
    }

    private readonly object _insideLock = new();
    private System.Collections.Concurrent.BlockingCollection<InsideWork>? _inside;
    private bool _disposed;

    private System.Collections.Concurrent.BlockingCollection<InsideWork> StartInsideThread()
    {
        var queue = new System.Collections.Concurrent.BlockingCollection<InsideWork>();
        var thread = new Thread(() =>
        {
            Exception? entering = null;
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{Name}");
                if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    entering = new InvalidOperationException($"setns into {Name}: {Marshal.GetLastPInvokeErrorMessage()}");
            }
            catch (IOException e)
            {
                entering = new InvalidOperationException($"cannot open namespace {Name}: {e.Message}");
            }
            foreach (var work in queue.GetConsumingEnumerable())
            {
                if (entering is not null)
                {
                    work.Failure = entering;
                    work.Done.Set();
                }
                else work.Run();
            }
        }) { Name = $"netns {Name}", IsBackground = true };
        thread.Start();
        return queue;
    }

    private const int CloneNewNet = 0x40000000;

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);

    public void Dispose()
    {
        lock (_insideLock)
        {
            if (_disposed) return;
            _disposed = true;
            _inside?.CompleteAdding();
        }
        CommandRunner.Run("ip", "netns", "del", Name);
    }
}
