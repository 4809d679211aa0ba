using Netstack.Drivers.Loops;
using Netstack.Drivers.Segments;
using Netstack.Link;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>Our stack takes over the endpoint: one interface on a scripted link, on a virtual clock. An endpoint
/// with IPv6 addresses gets them at once, as the captured one had them: no duplicate address detection, router
/// solicitation or MLD report (the capture's start-up housekeeping, if it shows any, is not judged).</summary>
public sealed class StackReplayEndpoint : IReplayEndpoint
{
    private readonly VirtualEventLoop _loop = new();
    private readonly NetworkStack _stack;
    private readonly ScriptedLink _link = new();
    private readonly NetworkInterface _interface;
    private ReplayApplications? _apps;

    /// <param name="address">The endpoint's IPv4 address and prefix (for an IPv6-only endpoint 0.0.0.0/32, which
    /// no captured frame is addressed to).</param>
    /// <param name="ipv6">The endpoint's IPv6 addresses besides the link-local one our stack forms from the MAC.</param>
    public StackReplayEndpoint(Ipv4Cidr address, IReadOnlyList<Ipv6Cidr> ipv6, string mac, ulong seed)
    {
        var options = new StackOptions
        {
            Ipv6 = new Network.Ipv6.Ipv6Options { DuplicateAddressDetectTransmits = 0, AcceptRouterAdvertisements = false, SendMldReports = false },
        };
        _stack = new NetworkStack(_loop, new SeededRandom(seed), options, "replay");
        _interface = _stack.AddInterface(_link, MacAddress.Parse(mac), address);
        if (ipv6.Count > 0) _stack.EnableIpv6(_interface, ipv6.ToArray());
    }

    public IEventLoop Loop => _loop;
    public string Name => "our stack";

    public void OnTransmit(Action<byte[]> transmitted) => _link.OnTransmit = bytes => transmitted(bytes.ToArray());

    public void Inject(byte[] frame) => _link.Inject(frame);

    public void PrimeNeighbour(IpAddress address, string mac)
    {
        if (address.IsIpv4) _interface.Arp.Prime(address.Ipv4, MacAddress.Parse(mac));
        else _interface.Ipv6?.Neighbors.Prime(address.Ipv6, MacAddress.Parse(mac));
    }

    // Started on the loop, so the applications' awaits resume there (its synchronization context).
    public void StartApplications(List<TcpServerScript> tcp, List<UdpServerScript> udp, List<EchoRequestStep> echoes) =>
        _loop.Post(() => _apps = new ReplayApplications(_stack, tcp, udp, echoes));

    public bool Behind => false;

    public void StopApplications() => _apps?.Stop();

    public IReadOnlyList<string> Problems => _apps?.Problems ?? [];

    public byte[]? Delivered(string flow) => _apps?.Delivered.GetValueOrDefault(flow)?.ToArray();

    public void Dispose()
    {
    }
}
