using Netstack.Drivers.Loops;
using Netstack.Drivers.Segments;
using Netstack.Link;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>Our stack takes over the endpoint: one interface on a scripted link, on a virtual clock.</summary>
public sealed class StackReplayEndpoint : IReplayEndpoint
{
    private readonly VirtualEventLoop _loop = new();
    private readonly NetworkStack _stack;
    private readonly ScriptedLink _link = new();
    private readonly NetworkInterface _interface;
    private ReplayApplications? _apps;

    public StackReplayEndpoint(Ipv4Cidr address, string mac, ulong seed)
    {
        _stack = new NetworkStack(_loop, new SeededRandom(seed), null, "replay");
        _interface = _stack.AddInterface(_link, MacAddress.Parse(mac), address);
    }

    public IEventLoop Loop => _loop;
    public string Name => "our stack";

    public void OnTransmit(Action<byte[]> transmitted) => _link.OnTransmit = bytes => transmitted(bytes.ToArray());

    public void Inject(byte[] frame) => _link.Inject(frame);

    public void PrimeNeighbour(uint address, string mac) => _interface.Arp.Prime(new Ipv4Address(address), MacAddress.Parse(mac));

    // Started on the loop, so the applications' awaits resume there (its synchronization context).
    public void StartApplications(List<TcpServerScript> tcp, List<UdpServerScript> udp, List<EchoRequestStep> echoes) =>
        _loop.Post(() => _apps = new ReplayApplications(_stack, tcp, udp, echoes));

    public void StopApplications() => _apps?.Stop();

    public IReadOnlyList<string> Problems => _apps?.Problems ?? [];

    public byte[]? Delivered(string flow) => _apps?.Delivered.GetValueOrDefault(flow)?.ToArray();

    public void Dispose()
    {
    }
}
