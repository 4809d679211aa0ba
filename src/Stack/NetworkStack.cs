using System.Net;
using CancellationToken = System.Threading.CancellationToken;
using Netstack.Api;
using Netstack.Buffers;
using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Network;
using Netstack.Network.Ipv6;
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

    /// <summary>A stack with no interfaces yet; add them with <see cref="AddInterface"/>, then call
    /// <see cref="Start"/>.</summary>
    /// <param name="scheduler">Source of time and deferred work; its loop thread is the only thread that may call the
    /// stack.</param>
    /// <param name="random">Source of all randomness (ISNs, IP IDs, ephemeral ports).</param>
    /// <param name="options">Tunables; defaults when null.</param>
    /// <param name="name">Name for logs and reports.</param>
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
        Ipv6 = new Ipv6Layer(this);
        Ipv6.Register(IpProtocol.Udp, Udp);
        Ipv6.Register(IpProtocol.Tcp, Tcp);
        Ping = new PingService(this);
    }

    /// <summary>Name given at construction ("host" by default), for logs and reports.</summary>
    public string Name { get; }
    /// <summary>The scheduler the stack takes time from and runs its timers on.</summary>
    public IScheduler Scheduler { get; }
    /// <summary>The source of all randomness this stack uses.</summary>
    public IRandomSource Random { get; }
    /// <summary>The tunables this stack was created with.</summary>
    public StackOptions Options { get; }
    /// <summary>Frames, protocol events and drops counted since creation.</summary>
    public StackCounters Counters { get; } = new();
    /// <summary>Pool every outgoing packet is built in.</summary>
    public PacketBufferPool Buffers { get; } = new();

    /// <summary>Interfaces in the order they were added.</summary>
    public IReadOnlyList<NetworkInterface> Interfaces => _interfaces;
    /// <summary>The IPv4 layer: routing, fragmentation, reassembly, dispatch to transports.</summary>
    public Ipv4 Ipv4 { get; }
    /// <summary>The IPv6 layer: extension headers, reassembly, ICMPv6, routing by prefix and default router; active
    /// on interfaces after <see cref="EnableIpv6"/>.</summary>
    public Ipv6Layer Ipv6 { get; }
    /// <summary>ICMP: echo replies, error messages and their delivery to transports.</summary>
    public Icmp Icmp { get; }
    /// <summary>The UDP layer that sockets from <see cref="OpenUdp"/> are bound in.</summary>
    public Udp Udp { get; }
    /// <summary>The TCP layer: listeners and connections.</summary>
    public TcpProtocol Tcp { get; }
    /// <summary>ICMP echo client behind <see cref="PingAsync(Ipv4Address, int, Duration?, CancellationToken)"/>.</summary>
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
    /// <param name="link">The device; the new interface attaches itself as its receiver.</param>
    /// <param name="mac">Our MAC address on the link.</param>
    /// <param name="address">Our address and the prefix of the attached subnet.</param>
    /// <param name="mtu">Largest IPv4 datagram in bytes to send; capped at (and defaulting to)
    /// <see cref="ILink.Mtu"/>.</param>
    /// <param name="name">Interface name; "eth0", "eth1"... by default.</param>
    public NetworkInterface AddInterface(ILink link, MacAddress mac, Ipv4Cidr address, int? mtu = null, string? name = null)
    {
        var iface = new NetworkInterface(this, name ?? $"eth{_interfaces.Count}", link, mac, address, mtu);
        _interfaces.Add(iface);
        Ipv4.AddOwnAddresses(iface);
        Ipv4.Routes.Add(new Route(new Ipv4Cidr(address.Network, address.PrefixLength), iface));
        return iface;
    }

    /// <summary>Turns IPv6 on for <paramref name="iface"/> (RFC 4862 §5.3): joins all-nodes, forms the link-local
    /// address from the MAC, adds <paramref name="addresses"/>, each through duplicate address detection with MLDv2
    /// reports for its solicited-node group, then solicits routers for SLAAC. Idempotent per interface.</summary>
    public Ipv6Interface EnableIpv6(NetworkInterface iface, params Ipv6Cidr[] addresses)
    {
        if (iface.Ipv6 is null)
        {
            iface.Ipv6 = new Ipv6Interface(iface);
            iface.Ipv6.Start();
        }
        foreach (var a in addresses) iface.Ipv6.AddAddress(a);
        return iface.Ipv6;
    }

    /// <summary>Adds a route via a gateway that must be on-link through one of our interfaces.</summary>
    /// <exception cref="ArgumentException"><paramref name="gateway"/> is not on a directly connected
    /// network.</exception>
    public void AddRoute(Ipv4Cidr prefix, Ipv4Address gateway)
    {
        var viaRoute = Ipv4.Routes.Lookup(gateway);
        if (viaRoute is null || viaRoute.Gateway is not null)
            throw new ArgumentException($"gateway {gateway} is not on a directly connected network of {Name}");
        Ipv4.Routes.Add(new Route(new Ipv4Cidr(prefix.Network, prefix.PrefixLength), viaRoute.Interface, gateway));
    }

    /// <summary>Adds the default route 0.0.0.0/0 via <paramref name="gateway"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="gateway"/> is not on a directly connected
    /// network.</exception>
    public void AddDefaultGateway(Ipv4Address gateway) => AddRoute(new Ipv4Cidr(Ipv4Address.Any, 0), gateway);

    /// <summary>Adds an IPv6 default router by hand (as <c>ip -6 route add default via</c>) on the first interface
    /// where <paramref name="gateway"/> is on-link, else on the first with IPv6 (as <c>onlink</c> says: the router
    /// is resolved on that link whatever our prefixes); it never expires (<see cref="RouterDiscovery.AddStatic"/>).</summary>
    /// <exception cref="ArgumentException">No interface has IPv6.</exception>
    public void AddDefaultGateway(Ipv6Address gateway)
    {
        Ipv6Interface? first = null;
        foreach (var i in _interfaces)
            if (i.Ipv6 is { } ip)
            {
                if (ip.IsOnLink(gateway))
                {
                    ip.Routers.AddStatic(gateway);
                    return;
                }
                first ??= ip;
            }
        if (first is null) throw new ArgumentException($"{Name} has no interface with IPv6 for gateway {gateway}");
        first.Routers.AddStatic(gateway);
    }

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
    /// <param name="port">Local port; 0 picks an ephemeral port.</param>
    /// <param name="backlog">Most connections accepted by TCP but not yet by the application; 0 uses the default of
    /// <see cref="TcpSettings"/>.</param>
    public TcpListenSocket ListenTcp(ushort port, int backlog = 0) =>
        LoopCall.Invoke(Scheduler, () => new TcpListenSocket(Tcp, Tcp.Listen(port, backlog)));

    /// <summary>Opens a TCP connection; fails with SocketException (ConnectionRefused, TimedOut...). Cancelling
    /// aborts the attempt.</summary>
    /// <param name="address">Remote IPv4 address.</param>
    /// <param name="port">Remote port.</param>
    /// <param name="localPort">Local port; 0 picks an ephemeral port.</param>
    /// <param name="cancellationToken">Aborts the attempt.</param>
    public Task<TcpStream> ConnectTcpAsync(Ipv4Address address, ushort port, ushort localPort = 0,
        CancellationToken cancellationToken = default) =>
        TcpStream.ConnectAsync(Tcp, address, port, localPort, cancellationToken);

    /// <summary>Opens a TCP connection over IPv6, like
    /// <see cref="ConnectTcpAsync(Ipv4Address, ushort, ushort, CancellationToken)"/>; the MSS offered is the path
    /// MTU less 60 bytes of IPv6 and TCP header.</summary>
    public Task<TcpStream> ConnectTcpAsync(Ipv6Address address, ushort port, ushort localPort = 0,
        CancellationToken cancellationToken = default) =>
        TcpStream.ConnectAsync(Tcp, address, port, localPort, cancellationToken);

    /// <summary>Opens a TCP connection to <paramref name="remote"/> of either family, like
    /// <see cref="ConnectTcpAsync(Ipv4Address, ushort, ushort, CancellationToken)"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="remote"/> is neither IPv4 nor IPv6.</exception>
    public Task<TcpStream> ConnectTcpAsync(IPEndPoint remote, ushort localPort = 0, CancellationToken cancellationToken = default) =>
        TcpStream.ConnectAsync(Tcp, IpAddress.FromSystem(remote.Address), (ushort)remote.Port, localPort, cancellationToken);

    /// <summary>Sends one ICMP echo request of <paramref name="dataLength"/> data bytes to
    /// <paramref name="destination"/> and completes with the reply, an ICMP error, or a timeout
    /// (<paramref name="timeout"/>, 1 s by default) as a <see cref="PingResult"/>; cancelling forgets the
    /// request.</summary>
    public Task<PingResult> PingAsync(Ipv4Address destination, int dataLength = 56, Duration? timeout = null,
        CancellationToken cancellationToken = default) =>
        Ping.PingAsync(destination, dataLength, timeout, cancellationToken: cancellationToken);

    /// <summary>Sends one ICMPv6 echo request (ping6) to <paramref name="destination"/>, like
    /// <see cref="PingAsync(Ipv4Address, int, Duration?, CancellationToken)"/>; larger than the path MTU it is
    /// fragmented.</summary>
    public Task<PingResult> PingAsync(Ipv6Address destination, int dataLength = 56, Duration? timeout = null,
        CancellationToken cancellationToken = default) =>
        Ping.PingAsync(destination, dataLength, timeout, cancellationToken: cancellationToken);

    /// <summary>The stack's <see cref="Name"/>.</summary>
    public override string ToString() => Name;
}
