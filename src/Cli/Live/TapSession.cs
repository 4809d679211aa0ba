using Netstack.Simulation.Tap;
using Timer = Netstack.Time.Timer;

namespace Netstack.Cli.Live;

/// <summary>One run of `harness tap`: starts the services and the stack on the loop, announces
/// readiness, and runs until a signal, the duration, or a failing service stops it.</summary>
public sealed class TapSession(LiveHost host, TextWriter output, TextWriter log)
{
    private readonly List<Task> _services = new();
    private int _exitCode = Program.ExitOk;

    public int Run()
    {
        var loop = host.Loop;
        using var signals = loop.StopOnTerminationSignals();
        if (host.Options.Duration is { } duration)
            new Timer(loop, loop.Stop).ArmAfter(duration);
        loop.Post(Start);
        loop.Run();
        foreach (var service in _services)
            if (service.IsFaulted)
            {
                log.WriteLine($"harness: service failed: {service.Exception!.InnerException?.Message}");
                _exitCode = Program.ExitFailed;
            }
        var c = host.Stack.Counters;
        log.WriteLine($"tap {host.Tap.Name}: {host.Tap.FramesRead} frames in, {host.Tap.FramesWritten} out" +
                      (host.Tap.WriteErrors > 0 ? $", {host.Tap.WriteErrors} write errors" : "") +
                      (host.Options.RecordPath is { } path ? $", {host.FramesRecorded} recorded to {path}" : ""));
        return _exitCode;
    }

    private void Start()
    {
        var stack = host.Stack;
        foreach (var spec in host.Options.Services)
        {
            switch (spec.Kind)
            {
                case ServiceKind.Echo:
                    _services.Add(Watch(new UdpEchoService(stack, spec.Port, log).RunAsync()));
                    break;
                default:
                    throw new InvalidOperationException($"--serve {spec} is not supported");
            }
        }
        stack.Start(); // gratuitous ARP: the kernel side learns us before we claim to be ready
        var iface = host.Interface;
        output.WriteLine($"ready {host.Tap.Name} {iface.Address.Address} {iface.Mac}");
        output.Flush();
    }

    /// <summary>A service that ends by failing stops the whole session with exit code 1.</summary>
    private Task Watch(Task service)
    {
        service.ContinueWith(t =>
        {
            if (t.IsFaulted) host.Loop.Stop();
        }, TaskScheduler.FromCurrentSynchronizationContext());
        return service;
    }
}
