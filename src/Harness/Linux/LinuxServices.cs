using System.Net;
using System.Net.Sockets;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Linux;

/// <summary>The declared services (<c>services: [echo:7, discard:9, udp-echo:7]</c>) on the host Linux plays:
/// sockets opened in its namespace, served by the thread pool (the kernel does the protocol work; these only
/// read and write). Echo writes back what it read before reading more, so a peer that does not read its echo
/// closes the kernel's receive window once its buffers are full. Sockets close with the peer.</summary>
internal static class LinuxServices
{
    public static void Start(LinuxPeer peer, IReadOnlyList<ServiceSpec> services)
    {
        foreach (var service in services)
        {
            if (service.Kind == "udp-echo")
            {
                var udp = peer.OpenSocket(SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(peer.AnyAddress, service.Port));
                _ = Task.Run(() => EchoDatagrams(udp));
                continue;
            }
            if (service.Kind is not ("echo" or "discard"))
                throw new InvalidOperationException($"the harness does not run service {service} on Linux");
            var listener = peer.OpenTcpSocket();
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(new IPEndPoint(peer.AnyAddress, service.Port));
            listener.Listen(128);
            bool echo = service.Kind == "echo";
            _ = Task.Run(() => Accept(peer, listener, echo));
        }
    }

    private static async Task Accept(LinuxPeer peer, Socket listener, bool echo)
    {
        while (true)
        {
            Socket s;
            try
            {
                s = peer.Own(await listener.AcceptAsync());
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return; // the peer was disposed
            }
            _ = Task.Run(() => Serve(s, echo));
        }
    }

    private static async Task Serve(Socket s, bool echo)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await s.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                if (echo)
                    for (int sent = 0; sent < n;)
                        sent += await s.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None);
            s.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Reset by the peer, or the run ended.
        }
    }

    private static async Task EchoDatagrams(Socket udp)
    {
        var buffer = new byte[65_536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (true)
            {
                var r = await udp.ReceiveFromAsync(buffer, SocketFlags.None, any);
                await udp.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The run ended.
        }
    }
}
