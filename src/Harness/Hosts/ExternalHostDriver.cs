using Netstack.Harness.Linux;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Harness.Worlds;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Tap;
using Netstack.Time;

namespace Netstack.Harness.Hosts;

/// <summary>A host played by an external implementation on the tap wire (lwIP, libslirp, or any command that brings
/// up a tap): <see cref="ExternalStackHost"/> runs it in a namespace made for the run, and its bridge's tap is
/// bridged to a port of the host's segment, as a Linux host's tap is. What it can do for a scenario is answer: its
/// declared services are used by the other hosts' steps (that is only traffic), and <c>exec</c> runs commands in
/// its namespace. It offers no API the harness could call, so socket steps on it are load errors.</summary>
public sealed class ExternalHostDriver : HostDriver
{
    public const HostAbility Abilities = HostAbility.Exec;

    public static string Refusal(HostSpec host, string key) =>
        $"host '{host.Name}' is played by {host.External!.Title}, which offers no API for '{key}': " +
        "use its services from another host's steps, or exec in its namespace";

    private readonly ExternalStackHost _host;

    public ExternalHostDriver(HostSpec spec, WorldBuilder world, RealTimeEventLoop loop, FrameLog log) : base(spec)
    {
        var sim = world.World;
        var i = spec.Interfaces[0];
        var segment = sim.Segments[i.Segment];
        _host = ExternalStackHost.Start(ExternalSpec(spec, i.Mtu ?? segment.Options.Mtu), loop);
        try
        {
            BridgeToSegment(world, _host.Tap, log);
        }
        catch
        {
            _host.Dispose();
            throw;
        }
    }

    /// <summary>How to start what plays <paramref name="spec"/>: a known stack's spec, or the scenario's command.</summary>
    public static ExternalHostSpec ExternalSpec(HostSpec spec, int mtu)
    {
        var player = spec.External ?? throw new ArgumentException($"host '{spec.Name}' is not played by an external implementation");
        var i = spec.Interfaces[0];
        var gateway = spec.Routes.FirstOrDefault(r => r.Prefix.PrefixLength == 0)?.Gateway;
        if (player.Known is { } known) return KnownExternalStacks.For(known, i.Mac, i.Address, mtu, gateway);
        return new ExternalHostSpec(player.Command!, player.Interface!, i.Address, i.Mac, mtu)
        {
            Gateway = gateway,
            Environment = player.Environment,
            StartTimeout = player.StartTimeout,
        };
    }

    /// <summary>What the implementation printed so far (for a failing run's report).</summary>
    public string Output => _host.Output;

    public bool IsRunning => _host.IsRunning;

    /// <summary>In the host's namespace, marked as its processes, so what the command leaves running ends with the host.</summary>
    public override (int ExitCode, string Output, bool TimedOut) Exec(string command, Duration timeout)
    {
        var r = _host.Namespace.Run(timeout, "env", $"{ExternalStackHost.NamespaceVariable}={_host.Namespace.Name}", "/bin/sh", "-c", command);
        return (r.ExitCode, r.Output + r.Error, r.TimedOut);
    }

    /// <summary>Ends the implementation and everything it started, and deletes the namespace with its bridge and taps.</summary>
    public override void Dispose() => _host.Dispose();
}
