using Netstack.Drivers.Tap;
using Netstack.Time;

namespace Netstack.Cli.Live;

/// <summary>One run of `harness tap`: starts the services and the stack on the loop, announces
/// readiness, runs the client action if any, and runs until a signal, the duration, the end of the
/// client action, or a failing service stops it.</summary>
public sealed class TapSession(LiveHost host, TextWriter output, TextWriter log)
{
    private readonly List<Task> _services = new();
    private Task<bool>? _client;
    private Ipv6AddressWatch? _ipv6;
    private bool _duplicate;

    public int Run()
    {
        var loop = host.Loop;
        using var signals = loop.StopOnTerminationSignals();
        var durationTimer = new ScheduledTimer(loop, loop.Stop);
        if (host.Options.Duration is { } duration) durationTimer.ArmAfter(duration);
        loop.Post(Start);
        loop.Run();
        _ipv6?.Dispose();
        int exitCode = _duplicate ? Program.ExitFailed : Program.ExitOk;
        foreach (var service in _services)
            if (service.IsFaulted)
            {
                log.WriteLine($"harness: service failed: {service.Exception!.InnerException?.Message}");
                exitCode = Program.ExitFailed;
            }
        if (_client is not null && !(_client.IsCompletedSuccessfully && _client.Result))
        {
            if (!_client.IsCompleted) log.WriteLine("harness: stopped before the client action finished");
            else if (_client.IsFaulted) log.WriteLine($"harness: {_client.Exception!.InnerException?.Message}");
            exitCode = Program.ExitFailed;
        }
        log.WriteLine($"tap {host.Tap.Name}: {host.Tap.FramesRead} frames in, {host.Tap.FramesWritten} out" +
                      (host.Tap.FramesCoalesced > 0 ? $", {host.Tap.FramesCoalesced} joined to the segment before" : "") +
                      (host.Tap.WriteErrors > 0 ? $", {host.Tap.WriteErrors} write errors" : "") +
                      (host.Options.RecordPath is { } path ? $", {host.FramesRecorded} recorded to {path}" : ""));
        // What the stack refused, by reason, so a hostile peer's frames show up as counted drops.
        var drops = host.Stack.Counters.NonZeroDrops()
            .Select(d => $"{Netstack.Harness.Steps.CounterNames.Kebab(d.Reason.ToString())}={d.Count}").ToList();
        log.WriteLine($"drops: {(drops.Count == 0 ? "none" : string.Join(' ', drops))}");
        return exitCode;
    }

    private void Start()
    {
        var stack = host.Stack;
        var tcp = new TcpServices(stack, output, log, host.Options.Limits);
        foreach (var spec in host.Options.Services)
        {
            if (spec.Kind == ServiceKind.Echo)
                _services.Add(StopWhenFaulted(new UdpEchoService(stack, spec.Port, log).RunAsync()));
            _services.Add(StopWhenFaulted(tcp.ServeAsync(spec)));
        }
        stack.Start(); // gratuitous ARP: the kernel side learns us before we claim to be ready
        if (host.Options.Ipv6)
        {
            // Link-local plus the static addresses, each through duplicate address detection with MLDv2 reports for
            // its solicited-node group; router solicitations follow, and SLAAC addresses appear as routers advertise.
            _ipv6 = new Ipv6AddressWatch(stack.EnableIpv6(host.Interface, [.. host.Options.Ipv6Addresses]),
                host.Tap.Name, output, log);
            _ipv6.WhenSettled(Ready, onDuplicate: () =>
            {
                _duplicate = true;
                host.Loop.Stop();
            });
        }
        else Ready();
    }

    /// <summary>Announces readiness (after the IPv6 addresses left duplicate address detection) and starts the
    /// client action, if any.</summary>
    private void Ready()
    {
        var stack = host.Stack;
        var iface = host.Interface;
        output.WriteLine($"ready {host.Tap.Name} {iface.Address.Address} {iface.Mac}");
        output.Flush();

        var clients = new TcpClients(stack, output, log);
        if (host.Options.Fetch is { } fetch) _client = clients.FetchAsync(fetch);
        else if (host.Options.Send is { } send) _client = clients.SendAsync(send);
        _client?.ContinueWith(_ => host.Loop.Stop(), TaskScheduler.FromCurrentSynchronizationContext());
    }

    /// <summary>A service that ends by failing stops the whole session with exit code 1.</summary>
    private Task StopWhenFaulted(Task service)
    {
        service.ContinueWith(t =>
        {
            if (t.IsFaulted) host.Loop.Stop();
        }, TaskScheduler.FromCurrentSynchronizationContext());
        return service;
    }
}
