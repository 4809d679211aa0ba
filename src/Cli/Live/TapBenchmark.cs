using System.Diagnostics;
using System.Text;
using Netstack.Harness.Benchmarks;

namespace Netstack.Cli.Live;

/// <summary>`harness bench --tap` (root): how fast the Linux kernel can push a TCP stream into our
/// sink service (discard without the SHA-256) over a tap, against the ceiling of the tap path itself: two namespaces whose kernels
/// talk through `harness tap forward` (same runtime and loop, no stack), and against the kernel talking to itself
/// over a veth pair without and with offloads (the ratios the issue asks for). Everything lives in namespaces
/// made here with unique names and removed afterwards.</summary>
public sealed class TapBenchmark(TextWriter log)
{
    /// <param name="VethGbps">Kernel to kernel over a veth pair with its offloads off (every segment a 1500-byte
    /// frame with a software checksum, as on our tap at MTU 1500).</param>
    /// <param name="VethTsoGbps">The same veth pair with its default offloads (TSO/GSO/GRO, checksum offload).</param>
    /// <param name="VethRatio">Median over the rounds of ours at MTU 1500 / the veth without offloads, each pair
    /// measured back to back (a ratio of medians would pair measurements minutes apart on a loaded machine).</param>
    /// <param name="VethTsoRatio">Likewise, ours with TSO / the veth with offloads.</param>
    /// <param name="VethRatioRange">The lowest and highest of the per-round ratios behind <paramref name="VethRatio"/>.</param>
    /// <param name="VethTsoRatioRange">Likewise for <paramref name="VethTsoRatio"/>.</param>
    public sealed record Figures(double StackGbps, double ForwarderGbps, double OffloadGbps, double VethGbps, double VethTsoGbps,
        double VethRatio, double VethTsoRatio, int Rounds, (double Min, double Max) VethRatioRange = default,
        (double Min, double Max) VethTsoRatioRange = default)
    {
        public double Ratio => StackGbps / ForwarderGbps;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    /// <summary>The `bench --tap` action: prints a line per measurement and `BENCH name value unit` lines.</summary>
    public static int RunCommand(bool quick)
    {
        if (MissingReason() is { } why)
        {
            Console.Error.WriteLine($"harness: bench --tap {why}");
            return Program.ExitFailed;
        }
        long bytes = quick ? 256L << 20 : 1L << 30;
        int rounds = 5;
        Console.WriteLine("TAP: Linux TCP sender -> our sink service, against a plain frame forwarder between two taps (MTU 1500)");
        var figures = new TapBenchmark(Console.Out).Run(bytes, rounds);
        Console.WriteLine(FormattableString.Invariant($"BENCH tap-gbps {figures.StackGbps:0.###} Gbit/s"));
        Console.WriteLine(FormattableString.Invariant($"BENCH tap-forwarder-gbps {figures.ForwarderGbps:0.###} Gbit/s"));
        Console.WriteLine(FormattableString.Invariant($"BENCH tap-ratio {figures.Ratio:0.###} ratio"));
        Console.WriteLine(FormattableString.Invariant($"BENCH tap-tso-gbps {figures.OffloadGbps:0.###} Gbit/s"));
        Console.WriteLine(FormattableString.Invariant($"BENCH kernel-veth-gbps {figures.VethGbps:0.###} Gbit/s"));
        Console.WriteLine(FormattableString.Invariant($"BENCH kernel-veth-tso-gbps {figures.VethTsoGbps:0.###} Gbit/s"));
        Console.WriteLine(FormattableString.Invariant($"  medians of {figures.Rounds} rounds; per-round ratios: tap vs veth without offloads {figures.VethRatio:0.###}x (min {figures.VethRatioRange.Min:0.###}, max {figures.VethRatioRange.Max:0.###}; goal >= 0.6); tap TSO vs veth with offloads {figures.VethTsoRatio:0.###}x (min {figures.VethTsoRatioRange.Min:0.###}, max {figures.VethTsoRatioRange.Max:0.###}; goal >= 0.9)"));
        Console.WriteLine(FormattableString.Invariant($"BENCH tap-vs-veth-ratio {figures.VethRatio:0.###} x"));
        Console.WriteLine(FormattableString.Invariant($"BENCH tap-tso-vs-veth-tso-ratio {figures.VethTsoRatio:0.###} x"));
        return Program.ExitOk;
    }

    /// <summary>socat's read/write size. Its default, 8 KB, makes the Linux sender the bottleneck: with
    /// the tap draining at once, each 8 KB write leaves as its own GSO frame and draws its own ACK, so the
    /// TSO figure measured socat's syscall rate. 64 KB writes let the kernel build full-sized GSO frames.</summary>
    private const string SocatBlock = "65536";

    /// <summary>How many times the bytes of an MTU-1500 transfer the offloaded paths move, up to
    /// <see cref="MaxTsoTransfer"/>: the sender's start-up and exit (`ip netns exec socat`, 10-40 ms) weigh 5-20% of
    /// a 256 MiB transfer at 10-15 Gbit/s.</summary>
    private const int TsoTransferFactor = 4;
    private const long MaxTsoTransfer = 2L << 30;

    private readonly List<string> _namespaces = new();
    private readonly List<Process> _processes = new();
    private readonly string _tag = $"{Environment.ProcessId % 100000}";

    public static string? MissingReason()
    {
        if (!OperatingSystem.IsLinux()) return "needs Linux";
        if (!File.Exists("/dev/net/tun")) return "/dev/net/tun does not exist";
        if (GetEuid() != 0) return "needs root (it creates network namespaces and taps)";
        foreach (var tool in new[] { "ip", "socat", "ss", "ethtool" })
            if (!(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool))))
                return $"{tool} is not installed";
        return null;
    }

    /// <summary>Sets up the four paths, then measures them in <paramref name="rounds"/> interleaved rounds (ours, the
    /// veth without offloads, ours with TSO, the veth with them): on a loaded machine the rate swings within seconds,
    /// so each ratio pairs two transfers made back to back, and the medians are reported. Within a pair the order
    /// alternates from round to round, so neither side always runs second (after the other's cache and scheduler
    /// state). The offloaded paths move <see cref="TsoTransferFactor"/> times the bytes (at most 2 GiB): at 4 times
    /// the rate, the same bytes would last a fifth of a second, where the sender's start-up and a single scheduling
    /// hiccup weigh several percent.</summary>
    public Figures Run(long bytes, int rounds = 1)
    {
        try
        {
            double forwarder = MeasureForwarder(bytes);
            var stack = PrepareStack(offload: false);
            var offload = PrepareStack(offload: true);
            var veth = PrepareVeth(offload: false);
            var vethTso = PrepareVeth(offload: true);
            var rates = new List<double>[4];
            for (int i = 0; i < rates.Length; i++) rates[i] = new List<double>();
            var ratios = (Plain: new List<double>(), Tso: new List<double>());
            var paths = new[] { ("stack", stack), ("veth without offloads", veth), ("stack with TSO offload", offload), ("veth with offloads", vethTso) };
            for (int round = 0; round < rounds; round++)
            {
                foreach (int i in round % 2 == 0 ? new[] { 0, 1, 2, 3 } : new[] { 1, 0, 3, 2 })
                {
                    long n = i >= 2 ? Math.Min(bytes * TsoTransferFactor, MaxTsoTransfer) : bytes;
                    var gbps = paths[i].Item2(n);
                    rates[i].Add(gbps);
                    log.WriteLine(FormattableString.Invariant($"  {paths[i].Item1}: {n >> 20} MiB in {n * 8 / gbps / 1e9:0.00} s ({gbps:0.##} Gbit/s)"));
                }
                ratios.Plain.Add(rates[0][^1] / rates[1][^1]);
                ratios.Tso.Add(rates[2][^1] / rates[3][^1]);
                log.WriteLine(FormattableString.Invariant($"  round {round + 1}: tap/veth {ratios.Plain[^1]:0.###}, tap TSO/veth TSO {ratios.Tso[^1]:0.###}"));
            }
            return new Figures(Median.Of(rates[0]), forwarder, Median.Of(rates[2]), Median.Of(rates[1]), Median.Of(rates[3]),
                Median.Of(ratios.Plain), Median.Of(ratios.Tso), rounds, (ratios.Plain.Min(), ratios.Plain.Max()),
                (ratios.Tso.Min(), ratios.Tso.Max()));
        }
        finally
        {
            foreach (var p in _processes)
            {
                try
                {
                    if (!p.HasExited) p.Kill(entireProcessTree: true);
                    p.WaitForExit(5000);
                }
                catch (InvalidOperationException) { }
                p.Dispose();
            }
            foreach (var ns in _namespaces) Exec("ip", "netns", "del", ns);
        }
    }

    /// <summary>Linux sender → our sink service (discard without hashing, which would cost more than the stack),
    /// MTU 1500; with offload, the kernel may hand us 64 KB
    /// TCP segments through virtio-net headers. Returns the transfer of n bytes (Gbit/s), warmed up.</summary>
    private Func<long, double> PrepareStack(bool offload)
    {
        var ns = AddNamespace($"nsbench{(offload ? "o" : "")}{_tag}");
        Must("ip", "-n", ns, "tuntap", "add", "dev", "tap0", "mode", "tap");
        Must("ip", "-n", ns, "addr", "add", "10.80.0.1/24", "dev", "tap0");
        Must("ip", "-n", ns, "link", "set", "tap0", "up");
        string[] args = ["tap", "--dev", "tap0", "--ip", "10.80.0.2/24", "--serve", "sink:9", .. offload ? new[] { "--offload" } : []];
        var (harness, output) = StartHarness(ns, args);
        WaitForLine(output, "ready ", harness);
        double Transfer(long n)
        {
            int before = CountLines(output, "sink ");
            var clock = Stopwatch.StartNew();
            Must("ip", "netns", "exec", ns, "socat", "-b", SocatBlock, "-u", $"OPEN:/dev/zero,readbytes={n}", "TCP:10.80.0.2:9");
            var line = WaitForLine(output, "sink ", harness, before);
            var seconds = clock.Elapsed.TotalSeconds;
            if (!line.EndsWith($" {n} bytes", StringComparison.Ordinal)) throw new InvalidOperationException($"sink received the wrong amount: {line}");
            return n * 8 / seconds / 1e9;
        }
        Transfer(64L << 20); // warm-up: JIT tiers, ARP, buffers
        return Transfer;
    }

    /// <summary>Linux in nsA → Linux in nsB through `harness tap forward`, MTU 1500.</summary>
    private double MeasureForwarder(long bytes)
    {
        var fwd = AddNamespace($"nsfwd{_tag}");
        var a = AddNamespace($"nsfa{_tag}");
        var b = AddNamespace($"nsfb{_tag}");
        // The forwarder attaches to both taps in its own namespace; then each tap moves (still attached)
        // into the namespace of one kernel.
        Must("ip", "-n", fwd, "tuntap", "add", "dev", "tapa", "mode", "tap");
        Must("ip", "-n", fwd, "tuntap", "add", "dev", "tapb", "mode", "tap");
        var (forwarder, output) = StartHarness(fwd, "tap", "forward", "--a", "tapa", "--b", "tapb");
        WaitForLine(output, "ready ", forwarder);
        foreach (var (tap, ns, ip) in new[] { ("tapa", a, "10.81.0.1/24"), ("tapb", b, "10.81.0.2/24") })
        {
            Must("ip", "-n", fwd, "link", "set", tap, "netns", ns);
            Must("ip", "-n", ns, "addr", "add", ip, "dev", tap);
            Must("ip", "-n", ns, "link", "set", tap, "up");
        }
        KernelTransfer(a, b, "10.81.0.2", Math.Min(bytes / 4, 64L << 20), 5001);
        var gbps = KernelTransfer(a, b, "10.81.0.2", bytes, 5002);
        log.WriteLine(FormattableString.Invariant($"  forwarder: {bytes >> 20} MiB in {bytes * 8 / gbps / 1e9:0.00} s"));
        return gbps;
    }

    /// <summary>The kernel's own ceiling without a tap: Linux in nsA → Linux in nsB over a veth pair at MTU 1500,
    /// with the pair's offloads off (each segment its own frame and checksum, what our tap at MTU 1500 gets) or left
    /// at their defaults (TSO, GSO, GRO: what the tap with vnet headers is compared with).</summary>
    private Func<long, double> PrepareVeth(bool offload)
    {
        string suffix = offload ? "o" : "";
        var a = AddNamespace($"nsva{suffix}{_tag}");
        var b = AddNamespace($"nsvb{suffix}{_tag}");
        Must("ip", "-n", a, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", b);
        foreach (var (ns, dev, ip) in new[] { (a, "veth0", "10.82.0.1/24"), (b, "veth1", "10.82.0.2/24") })
        {
            Must("ip", "-n", ns, "link", "set", dev, "mtu", "1500");
            if (!offload)
                Must("ip", "netns", "exec", ns, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off", "tx", "off", "rx", "off", "sg", "off");
            Must("ip", "-n", ns, "addr", "add", ip, "dev", dev);
            Must("ip", "-n", ns, "link", "set", dev, "up");
        }
        KernelTransfer(a, b, "10.82.0.2", 64L << 20, 5001);
        ushort port = 5002;
        return n => KernelTransfer(a, b, "10.82.0.2", n, port++);
    }

    /// <summary>socat in <paramref name="from"/> sends <paramref name="n"/> bytes to a socat listening in
    /// <paramref name="to"/>; returns payload Gbit/s from connect to the receiver's exit.</summary>
    private double KernelTransfer(string from, string to, string address, long n, ushort port)
    {
        var receiver = Start("ip", "netns", "exec", to, "socat", "-b", SocatBlock, "-u", $"TCP-LISTEN:{port},reuseaddr", "OPEN:/dev/null");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Exec("ip", "netns", "exec", to, "ss", "-Hltn", $"sport = :{port}").Contains($":{port}"))
        {
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException("the receiver did not start listening");
            Thread.Sleep(20);
        }
        var clock = Stopwatch.StartNew();
        Must("ip", "netns", "exec", from, "socat", "-b", SocatBlock, "-u", $"OPEN:/dev/zero,readbytes={n}", $"TCP:{address}:{port}");
        if (!receiver.WaitForExit(60_000)) throw new InvalidOperationException("the receiver did not finish");
        return n * 8 / clock.Elapsed.TotalSeconds / 1e9;
    }

    private string AddNamespace(string name)
    {
        Must("ip", "netns", "add", name);
        _namespaces.Add(name);
        Must("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        Must("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    private (Process Process, StringBuilder Output) StartHarness(string ns, params string[] args)
    {
        var dll = typeof(Program).Assembly.Location;
        var output = new StringBuilder();
        var process = Start(["ip", "netns", "exec", ns, "dotnet", dll, .. args], output);
        return (process, output);
    }

    private Process Start(params string[] command) => Start(command, null);

    private Process Start(string[] command, StringBuilder? output)
    {
        var info = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command.Skip(1)) info.ArgumentList.Add(a);
        var p = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {command[0]}");
        _processes.Add(p);
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null || output is null) return;
            lock (output)
            {
                output.AppendLine(e.Data);
                Monitor.PulseAll(output); // a waiter sees the line now, not at its next poll
            }
        };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static int CountLines(StringBuilder output, string prefix)
    {
        lock (output) return output.ToString().Split('\n').Count(l => l.StartsWith(prefix, StringComparison.Ordinal));
    }

    private static string WaitForLine(StringBuilder output, string prefix, Process process, int skip = 0)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            lock (output)
            {
                var lines = output.ToString().Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).ToArray();
                if (lines.Length > skip) return lines[skip].TrimEnd('\r');
                if (process.HasExited) throw new InvalidOperationException($"harness exited ({process.ExitCode}) before printing '{prefix}'");
                // Woken by the next line the harness prints (the timed transfer ends with one), not after a fixed poll.
                Monitor.Wait(output, 50);
            }
        }
        throw new InvalidOperationException($"no '{prefix}' line within 60 s");
    }

    private static void Must(params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command.Skip(1)) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{string.Join(' ', command)}: exit {p.ExitCode}: {err.Result.Trim()}");
    }

    private static string Exec(params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command.Skip(1)) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
