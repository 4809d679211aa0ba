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
        string Device = device;
        if (TapPrerequisites.MissingReason() is { } missing)
            throw new InvalidOperationException($"host '{host.Name}' is played by Linux, but {missing}");
        var ns = NetworkNamespace.Create(NamespacePrefix);
        var peer = new LinuxPeer(host, ns);
        try
        {
            var i = peer.Interface;
            ns.MustRun("ip", "tuntap", "add", "dev", Device, "mode", "tap");
            ns.MustRun("ip", "link", "set", "dev", Device, "address", i.Mac.ToString(), "mtu", (i.Mtu ?? mtu).ToString());
            ns.MustRun("ip", "addr", "add", i.Address.ToString(), "dev", Device);
            ns.MustRun("ip", "link", "set", "dev", Device, "up");
            foreach (var r in host.Routes)
                ns.MustRun("ip", "route", "add", r.Prefix.PrefixLength == 0 ? "default" : $"{r.Prefix.Network}/{r.Prefix.PrefixLength}", "via", r.Gateway.ToString());
            if (host.TimeToLive is { } ttl)
                ns.MustRun("sysctl", "-qw", $"net.ipv4.ip_default_ttl={ttl}");
            peer.Tap = ns.RunInside(() => new TapLink(loop, Device, i.Mtu ?? mtu, offload));
            peer._owned.Add(peer.Tap);
            peer.WarmUpSockets();
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
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
    public Socket OpenSocket(SocketType type, ProtocolType protocol) =>
        Own(Namespace.RunInside(() => new Socket(AddressFamily.InterNetwork, type, protocol)));

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
