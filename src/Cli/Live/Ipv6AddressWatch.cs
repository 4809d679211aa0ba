using Netstack.Network.Ipv6;
using Netstack.Time;

namespace Netstack.Cli.Live;

/// <summary>Watches the IPv6 addresses of the live interface from the event loop and prints one
/// <c>ip6 DEV ADDR/PREFIX ORIGIN</c> line for each address that becomes usable (link-local, static, or slaac when a
/// router's advertisement formed it), so a script knows what to talk to. Readiness waits until duplicate address
/// detection of the addresses given at start has ended; a duplicate among them ends the run.</summary>
public sealed class Ipv6AddressWatch(Ipv6Interface ipv6, string device, TextWriter output, TextWriter log) : IDisposable
{
    private static readonly Duration PollInterval = Duration.FromMilliseconds(50);

    private readonly HashSet<Ipv6InterfaceAddress> _reported = new();
    private ScheduledTimer? _timer;
    private Action? _ready;
    private Action? _onDuplicate;

    /// <summary>Runs <paramref name="ready"/> once no address given at start is tentative any more, or
    /// <paramref name="onDuplicate"/> (after a one-line error) when one of them turned out to be another node's.
    /// Keeps watching afterwards for addresses formed later.</summary>
    public void WhenSettled(Action ready, Action onDuplicate)
    {
        _ready = ready;
        _onDuplicate = onDuplicate;
        var scheduler = ipv6.Interface.Stack.Scheduler;
        _timer = new ScheduledTimer(scheduler, Poll);
        Poll();
    }

    private void Poll()
    {
        var scheduler = ipv6.Interface.Stack.Scheduler;
        bool settled = true;
        foreach (var a in ipv6.Addresses)
        {
            if (a.State == Ipv6AddressState.Tentative)
            {
                if (a.Origin != Ipv6AddressOrigin.Autoconfigured) settled = false;
                continue;
            }
            if (!_reported.Add(a)) continue;
            if (a.State == Ipv6AddressState.Duplicate)
            {
                log.WriteLine($"harness: --ip6 {a.Cidr}: duplicate address detection on {device} found another node using it");
                if (a.Origin != Ipv6AddressOrigin.Autoconfigured && _ready is not null)
                {
                    _ready = null;
                    _onDuplicate?.Invoke();
                    return;
                }
                continue;
            }
            output.WriteLine($"ip6 {device} {a.Cidr} {OriginName(a.Origin)}");
        }
        output.Flush();
        if (settled && _ready is { } ready)
        {
            _ready = null;
            ready();
        }
        _timer!.Arm(scheduler.Now + PollInterval);
    }

    private static string OriginName(Ipv6AddressOrigin origin) => origin switch
    {
        Ipv6AddressOrigin.LinkLocal => "link-local",
        Ipv6AddressOrigin.Static => "static",
        _ => "slaac",
    };

    public void Dispose() => _timer?.Cancel();
}
