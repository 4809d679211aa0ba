using Netstack.Drivers.Loops;
using Netstack.Drivers.Tap;
using Netstack.Harness.Linux;
using Netstack.Harness.Running;
using Netstack.Link;

namespace Netstack.Harness.Replay;

/// <summary>The Linux kernel takes over the endpoint (<c>--wire tap</c>): a network namespace made for the replay,
/// with a tap whose kernel side has the endpoint's address and captured MAC. The peers' frames are written onto the
/// tap at their captured times (real time), every frame the kernel sends out of it is the endpoint's, and the
/// captured applications are played by sockets opened in the namespace (<see cref="KernelReplayApplications"/>).
/// Dispose closes the sockets and deletes the namespace, which takes the tap with it.</summary>
public sealed class KernelReplayEndpoint : IReplayEndpoint, IFrameReceiver
{
    /// <summary>Namespaces are named PREFIX + process id (see <see cref="NetworkNamespace"/>), so a later run deletes
    /// those a killed one left, and a test can check that none is left.</summary>
    public const string NamespacePrefix = "nsreplay";
    private const string Device = "tap0";

    private readonly RealWireSession _session;
    private readonly NetworkNamespace _namespace;
    private readonly TapLink _tap;
    private readonly Netstack.Wire.Ipv4Address? _address;
    private readonly Netstack.Wire.Ipv6Address? _address6;
    private Action<byte[]>? _transmitted;
    private KernelReplayApplications? _apps;

    /// <param name="address">The endpoint's IPv4 address and the prefix that puts every played peer on the link
    /// (0.0.0.0/32 for an IPv6-only endpoint: then none is configured).</param>
    /// <param name="ipv6">Its IPv6 addresses: IPv6 is turned on in the namespace for them (without duplicate address
    /// detection, router solicitations or autoconfiguration: the captured endpoint had them already).</param>
    /// <param name="mtu">The tap's MTU (the largest IP packet of the capture, at least 1500).</param>
    public KernelReplayEndpoint(Netstack.Wire.Ipv4Cidr address, IReadOnlyList<Netstack.Wire.Ipv6Cidr> ipv6, string mac, int mtu)
    {
        if (TapPrerequisites.MissingReason() is { } missing)
            throw new ReplayInputException($"--wire tap: the Linux kernel plays the endpoint in a network namespace, but {missing}");
        _address = address.Address == Netstack.Wire.Ipv4Address.Any ? null : address.Address;
        _address6 = ipv6.Count > 0 ? ipv6[0].Address : null;
        _session = new RealWireSession();
        try
        {
            _namespace = NetworkNamespace.Create(NamespacePrefix);
        }
        catch
        {
            _session.Dispose();
            throw;
        }
        try
        {
            _namespace.MustRun("ip", "tuntap", "add", "dev", Device, "mode", "tap");
            _namespace.MustRun("ip", "link", "set", "dev", Device, "address", mac, "mtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (_address is not null) _namespace.MustRun("ip", "addr", "add", address.ToString(), "dev", Device);
            if (ipv6.Count > 0)
            {
                foreach (var setting in new[] { "disable_ipv6=0", "accept_dad=0", "router_solicitations=0", "accept_ra=0", "autoconf=0" })
                    _namespace.MustRun("sysctl", "-qw", $"net.ipv6.conf.{Device}.{setting}");
                foreach (var a in ipv6) _namespace.MustRun("ip", "-6", "addr", "add", a.ToString(), "dev", Device, "nodad");
            }
            _tap = _namespace.OpenTap(_session.Loop, Device, mtu);
            _tap.Attach(this);
            // Time zero is now, before the session schedules the first frame: the namespace and tap are ready.
            _session.StartClock(null);
        }
        catch
        {
            _namespace.Dispose();
            _session.Dispose();
            throw;
        }
    }

    public IEventLoop Loop => _session.Loop;
    public string Name => "the Linux kernel";
    public NetworkNamespace Namespace => _namespace;

    public void OnTransmit(Action<byte[]> transmitted) => _transmitted = transmitted;

    void IFrameReceiver.ReceiveFrame(ReadOnlySpan<byte> frame) => _transmitted?.Invoke(frame.ToArray());

    public void Inject(byte[] frame) => _tap.Transmit(frame);

    public void PrimeNeighbour(Netstack.Wire.IpAddress address, string mac) =>
        _namespace.MustRun("ip", address.IsIpv4 ? "-4" : "-6", "neigh", "replace", ReplayFrame.Ip(address), "lladdr", mac, "dev", Device, "nud", "permanent");

    public void StartApplications(List<TcpServerScript> tcp, List<UdpServerScript> udp, List<EchoRequestStep> echoes)
    {
        _apps = new KernelReplayApplications(_session.Loop, _namespace, _address, _address6, tcp, udp, echoes);
    }

    public bool Behind => _apps?.Behind ?? false;

    public void StopApplications() => _apps?.Stop();

    public IReadOnlyList<string> Problems => _apps?.Problems ?? [];

    public byte[]? Delivered(string flow) => _apps?.Delivered(flow);

    /// <summary>Throws <see cref="RunInterruptedException"/> when Ctrl-C or SIGTERM stopped the loop.</summary>
    public void ThrowIfInterrupted() => _session.Interruption.ThrowIfInterrupted();

    public void Dispose()
    {
        _apps?.Stop();
        _tap.Dispose();
        _namespace.Dispose();
        _session.Dispose();
    }
}
