using System.Net.Sockets;
using Netstack.Harness.Scenarios;
using Netstack.Drivers.Tap;

namespace Netstack.Harness.Linux;

/// <summary>A scenario host played by the Linux kernel: a network namespace made for the run, with a tap whose
/// kernel side carries the host's MAC, address, MTU and routes. Our side of the tap is a link like any other;
/// the kernel's side is reached through sockets opened inside the namespace. Dispose deletes the namespace,
/// which takes the tap and every socket's connections with it.</summary>
public sealed class LinuxPeer : IDisposable
{
    /// <summary>Namespaces are named PREFIX + process id, so a later run can delete those a killed run left.</summary>
    public const string NamespacePrefix = "nsscenario";
    public const string DefaultDevice = "tap0";

    private readonly List<IDisposable> _owned = new();
    private bool _disposed;

    private LinuxPeer(HostSpec host, NetworkNamespace ns)
    {
        Host = host;
        Namespace = ns;
    }

    public HostSpec Host { get; }
    public NetworkNamespace Namespace { get; }
    public TapLink Tap { get; private set; } = null!;
    public InterfaceSpec Interface => Host.Interfaces[0];

    /// <summary>Makes the namespace and tap and configures the kernel's side as <paramref name="host"/> says.</summary>
    /// <param name="device">The tap's name in the namespace (packetdrill scripts name theirs tun0).</param>
    /// <param name="offload">TSO/checksum offload on the tap: the kernel hands over TCP segments of up to 64 KB, as
    /// packetdrill's tun shows them (scripts turn it off with ethtool where they need MSS-sized segments).</param>
    public static LinuxPeer Create(HostSpec host, RealTimeEventLoop loop, int mtu, string device = DefaultDevice, bool offload = false)
    {
        if (TapPrerequisites.MissingReason() is { } missing)
            throw new InvalidOperationException($"host '{host.Name}' is played by Linux, but {missing}");
        var ns = NetworkNamespace.Create(NamespacePrefix);
        var peer = new LinuxPeer(host, ns);
        try
        {
            var i = peer.Interface;
            ns.MustRun("ip", "tuntap", "add", "dev", device, "mode", "tap");
            ns.MustRun("ip", "link", "set", "dev", device, "address", i.Mac.ToString(), "mtu", (i.Mtu ?? mtu).ToString());
            ns.MustRun("ip", "addr", "add", i.Address.ToString(), "dev", device);
            if (i.HasIpv6) EnableIpv6(ns, device, i, host.DuplicateAddressDetection);
            peer.Tap = ns.OpenTap(loop, device, i.Mtu ?? mtu, offload);
            peer._owned.Add(peer.Tap);
            foreach (var r in host.Routes)
                ns.MustRun("ip", "route", "add", r.Prefix.PrefixLength == 0 ? "default" : $"{r.Prefix.Network}/{r.Prefix.PrefixLength}", "via", r.Gateway.ToString());
            if (host.TimeToLive is { } ttl)
                ns.MustRun("sysctl", "-qw", $"net.ipv4.ip_default_ttl={ttl}");
            peer.WarmUpSockets();
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>IPv6 on the tap only (the namespace keeps it off elsewhere). With a static address (<c>ip6: ADDR</c>)
    /// quiet where it can be: no router solicitations and no SLAAC from advertisements (router_solicitations=0,
    /// accept_ra=0), and unless <paramref name="dad"/> no duplicate address detection (the address is usable at once:
    /// accept_dad=0, dad_transmits=0, and nodad). With <c>ip6: slaac</c> a host as RFC 4862 has it, set as our stack
    /// is: up to three router solicitations (RFC 4861 MAX_RTR_SOLICITATIONS) and addresses from advertised prefixes
    /// (accept_ra=1, autoconf=1) whose interface identifier is the modified EUI-64 of the MAC (addr_gen_mode=0), no
    /// temporary addresses (use_tempaddr=0). With <paramref name="dad"/>, one duplicate address probe for every
    /// address, the link-local one too (accept_dad=1, dad_transmits=1); the kernel's delay before a probe stays its
    /// own (random, up to rtr_solicit_delay, 1 s).
    /// Either way MLD stays: the kernel reports its solicited-node groups (MLDv2 to ff02::16) when the link comes
    /// up and as addresses come, and there is no switch to stop that, so scenarios tolerate those reports (no strict
    /// frame count of ICMPv6 on that wire).</summary>
    private static void EnableIpv6(NetworkNamespace ns, string device, InterfaceSpec i, bool dad)
    {
        var conf = $"net.ipv6.conf.{device}.";
        var detection = dad ? new[] { conf + "accept_dad=1", conf + "dad_transmits=1" } : [conf + "accept_dad=0", conf + "dad_transmits=0"];
        var routers = i.Ipv6Slaac
            ? new[] { conf + "router_solicitations=3", conf + "accept_ra=1", conf + "autoconf=1", conf + "addr_gen_mode=0", conf + "use_tempaddr=0" }
            : [conf + "router_solicitations=0", conf + "accept_ra=0"];
        ns.MustRun("sysctl", ["-qw", .. detection, .. routers, conf + "disable_ipv6=0"]);
        if (i.Ipv6 is { } address)
            ns.MustRun("ip", dad ? ["-6", "addr", "add", address.ToString(), "dev", device] : ["-6", "addr", "add", address.ToString(), "dev", device, "nodad"]);
    }

    /// <summary>The first socket a process makes costs milliseconds of loading and JIT compilation; paying that
    /// here, before the scenario's clock starts, keeps a step at 0 s from delaying the steps after it.</summary>
    private void WarmUpSockets()
    {
        using var listener = Namespace.RunInside(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = Namespace.RunInside(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        client.ConnectAsync(listener.LocalEndPoint!).GetAwaiter().GetResult();
        using var accepted = listener.AcceptAsync().GetAwaiter().GetResult();
        client.SendAsync(new byte[1], SocketFlags.None).GetAwaiter().GetResult();
        accepted.ReceiveAsync(new byte[1], SocketFlags.None).GetAwaiter().GetResult();
        client.Shutdown(SocketShutdown.Send);
    }

    /// <summary>A socket of the kernel host (made inside its namespace); closed when the peer is disposed.</summary>
    /// <remarks>On a host with <c>ip6</c>, an IPv6 socket in dual mode: it serves either family, IPv4 peers
    /// appearing as ::ffff:a.b.c.d.</remarks>
    public Socket OpenSocket(SocketType type, ProtocolType protocol) =>
        Own(Namespace.RunInside(() => HasIpv6
            ? new Socket(AddressFamily.InterNetworkV6, type, protocol) { DualMode = true }
            : new Socket(AddressFamily.InterNetwork, type, protocol)));

    /// <summary>The congestion control the kernel host's TCP sockets run: CUBIC, the kernel's default
    /// (ip-sysctl <c>tcp_congestion_control</c>, Kconfig's default), which the linux personality models.
    /// <c>NETSTACK_KERNEL_CC</c> names another for a measurement (e.g. bbr).</summary>
    public static string KernelCongestionControl =>
        Environment.GetEnvironmentVariable("NETSTACK_KERNEL_CC") is { Length: > 0 } cc ? cc : "cubic";

    /// <summary>Sets a scenario TCP socket's congestion control to <see cref="KernelCongestionControl"/>. Otherwise
    /// a namespace's sockets run the machine's choice (the host's sysctl, e.g. bbr), and a namespace may not make a
    /// restricted algorithm its default, so each socket asks for it (TCP_CONGESTION, tcp(7); accepted connections
    /// inherit the listener's). Packetdrill's kernel sockets are left as scripts expect them.</summary>
    internal static void PinCongestionControl(Socket socket)
    {
        const int TcpCongestion = 13; // tcp(7) TCP_CONGESTION
        var name = System.Text.Encoding.ASCII.GetBytes(KernelCongestionControl);
        try { socket.SetRawSocketOption((int)SocketOptionLevel.Tcp, TcpCongestion, name); }
        catch (SocketException e)
        {
            throw new InvalidOperationException(
                $"the kernel host's congestion control '{KernelCongestionControl}' could not be set (TCP_CONGESTION): {e.Message}");
        }
    }

    /// <summary>A TCP socket of the kernel host for a scenario, running <see cref="KernelCongestionControl"/>.</summary>
    public Socket OpenTcpSocket()
    {
        var socket = OpenSocket(SocketType.Stream, ProtocolType.Tcp);
        PinCongestionControl(socket);
        return socket;
    }

    /// <summary>A socket of one family (a raw ICMP or ICMPv6 socket cannot be dual-mode), made inside the namespace;
    /// closed when the peer is disposed.</summary>
    public Socket OpenSocket(AddressFamily family, SocketType type, ProtocolType protocol) =>
        Own(Namespace.RunInside(() => new Socket(family, type, protocol)));

    /// <summary>Whether the host has an IPv6 address (then its sockets are dual-mode IPv6 ones).</summary>
    public bool HasIpv6 => Interface.HasIpv6;

    /// <summary>The wildcard address its sockets bind to.</summary>
    public System.Net.IPAddress AnyAddress => HasIpv6 ? System.Net.IPAddress.IPv6Any : System.Net.IPAddress.Any;

    /// <summary><paramref name="address"/> as <paramref name="socket"/>'s family writes it (IPv4-mapped on a
    /// dual-mode IPv6 socket).</summary>
    public static System.Net.IPAddress ForSocket(Socket socket, Netstack.Wire.IpAddress address) =>
        socket.AddressFamily == AddressFamily.InterNetworkV6 ? address.Value.ToSystem() : address.Ipv4.ToSystem();

    /// <summary>Closes <paramref name="socket"/> with the peer (an accepted connection): an open socket would keep
    /// the deleted namespace alive until the garbage collector got to it.</summary>
    public Socket Own(Socket socket)
    {
        lock (_owned)
        {
            if (_disposed) socket.Dispose(); // an accept that completed as the run ended
            else _owned.Add(socket);
        }
        return socket;
    }

    public void Dispose()
    {
        lock (_owned)
        {
            _disposed = true;
            for (int i = _owned.Count - 1; i >= 0; i--)
            {
                try { _owned[i].Dispose(); } catch (ObjectDisposedException) { }
            }
            _owned.Clear();
        }
        Namespace.Dispose();
    }
}
