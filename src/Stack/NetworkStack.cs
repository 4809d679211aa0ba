using System.Net;
using CancellationToken = System.Threading.CancellationToken;
using Netstack.Api;
using Netstack.Buffers;
using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Network;
using Netstack.Time;
using Netstack.Transport;
using Netstack.Transport.Tcp;
using Netstack.Wire;

namespace Netstack;

/// <summary>One host's TCP/IP stack: its interfaces and the protocols of each layer. Sans-IO: time and
/// deferred work come from the injected scheduler, frames from and to the links, randomness from the
/// injected source. Not thread-safe: call it only from the event loop that drives it.</summary>
public sealed class NetworkStack
{
    private readonly List<NetworkInterface> _interfaces = new();

    public NetworkStack(IScheduler scheduler, IRandomSource random, StackOptions? options = null, string name = "host")
    {
        Scheduler = scheduler;
        Random = random;
        Options = options ?? new StackOptions();
        Name = name;
        Ipv4 = new Ipv4(this);
        Icmp = new Icmp(this);
        Udp = new Udp(this);
        Ipv4.Register(IpProtocol.Icmp, Icmp);
        Ipv4.Register(IpProtocol.Udp, Udp);
        Tcp = new TcpProtocol(this);
        Ipv4.Register(IpProtocol.Tcp, Tcp);
        Ping = new PingService(this);
    }

    public string Name { get; }
    public IScheduler Scheduler { get; }
    public IRandomSource Random { get; }
    public StackOptions Options { get; }
    public StackCounters Counters { get; } = new();
    public PacketBufferPool Buffers { get; } = new();

    public IReadOnlyList<NetworkInterface> Interfaces => _interfaces;
    public Ipv4 Ipv4 { get; }
    public Icmp Icmp { get; }
    public Udp Udp { get; }
    public TcpProtocol Tcp { get; }
    public PingService Ping { get; }

    /// <summary>When set, an exception escaping the processing of a received frame is counted
    /// (<see cref="DropReason.FrameHandlerFault"/>), handed to this observer and goes no further; when null it
    /// propagates to whoever delivered the frame (tests want defects loud).</summary>
    public IFrameFaultObserver? FrameFaultObserver { get; set; }

    /// <summary>Counts a frame whose processing threw; true when an observer took it (the caller swallows it).</summary>
    internal bool ContainFrameFault(NetworkInterface iface, ReadOnlySpan<byte> frame, Exception error)
    {
        Counters.Drop(DropReason.FrameHandlerFault);
        if (FrameFaultObserver is not { } observer) return false;
        observer.OnFrameFault(iface, frame, error);
        return true;
    }

    /// <summary>Attaches the stack to a link with an address; adds the on-link route for its prefix.</summary>
    public NetworkInterface AddInterface(ILink link, MacAddress mac, Ipv4Cidr address, int? mtu = null, string? name = null)
    {
        var iface = new NetworkInterface(this, name ?? $"eth{_interfaces.Count}", link, mac, address, mtu);
        _interfaces.Add(iface);
        Ipv4.AddOwnAddresses(iface);
        Ipv4.Routes.Add(new Route(new Ipv4Cidr(address.Network, address.PrefixLength), iface));
        return iface;
    }

    /// <summary>Adds a route via a gateway that must be on-link through one of our interfaces.</summary>
    public void AddRoute(Ipv4Cidr prefix, Ipv4Address gateway)
    {
        var viaRoute = Ipv4.Routes.Lookup(gateway);
        if (viaRoute is null || viaRoute.Gateway is not null)
            throw new ArgumentException($"gateway {gateway} is not on a directly connected network of {Name}");
        Ipv4.Routes.Add(new Route(new Ipv4Cidr(prefix.Network, prefix.PrefixLength), viaRoute.Interface, gateway));
    }

    public void AddDefaultGateway(Ipv4Address gateway) => AddRoute(new Ipv4Cidr(Ipv4Address.Any, 0), gateway);

    /// <summary>Brings the interfaces up: announces each address with a gratuitous ARP.</summary>
    public void Start()
    {
        if (!Options.Arp.SendGratuitousOnStart) return;
        foreach (var i in _interfaces) i.Arp.Announce();
    }

    /// <summary>Binds a UDP socket to <paramref name="port"/> (0: an ephemeral port) queuing up to
    /// <paramref name="receiveQueueLimit"/> datagrams.</summary>
    public UdpSocket OpenUdp(ushort port = 0, int receiveQueueLimit = 64) =>
        LoopCall.Invoke(Scheduler, () => new UdpSocket(Udp.Bind(port, receiveQueueLimit), Scheduler));

    /// <summary>Listens for TCP connections on <paramref name="port"/> (0: an ephemeral port). Throws
    /// SocketException (AddressAlreadyInUse) when the port already listens.</summary>
    public TcpListenSocket ListenTcp(ushort port, int backlog = 0) =>
        LoopCall.Invoke(Scheduler, () => new TcpListenSocket(Tcp, Tcp.Listen(port, backlog)));

    /// <summary>Opens a TCP connection; fails with SocketException (ConnectionRefused, TimedOut...). Cancelling
    /// aborts the attempt.</summary>
    public Task<TcpStream> ConnectTcpAsync(Ipv4Address address, ushort port, ushort localPort = 0,
        CancellationToken cancellationToken = default) =>
        TcpStream.ConnectAsync(Tcp, address, port, localPort, cancellationToken);

    public Task<TcpStream> ConnectTcpAsync(IPEndPoint remote, ushort localPort = 0, CancellationToken cancellationToken = default) =>
        ConnectTcpAsync(Ipv4Address.FromSystem(remote.Address), (ushort)remote.Port, localPort, cancellationToken);

    public Task<PingResult> PingAsync(Ipv4Address destination, int dataLength = 56, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        Ping.PingAsync(destination, dataLength, timeout, cancellationToken: cancellationToken);

    public override string ToString() => Name;
}
