using Netstack.Api;
using Netstack.Harness.Scenarios;
using Netstack.Drivers.Loops;

namespace Netstack.Harness.Hosts;

/// <summary>The declared services (<c>services: [echo:7, discard:9, udp-echo:7]</c>) on one of our stacks, written
/// as an application would write them against the public API. They run as async code under the loop's
/// synchronization context, so every continuation runs on the loop thread, in loop order: runs stay deterministic.
/// Echo writes back what it read before reading more, so a peer that does not read its echo closes the service's
/// receive window (as lwIP's and socat's echo do).</summary>
internal sealed class StackServices
{
    private readonly NetworkStack _stack;

    private StackServices(NetworkStack stack) => _stack = stack;

    public static void Start(NetworkStack stack, Netstack.Time.IScheduler loop, IReadOnlyList<ServiceSpec> services)
    {
        if (services.Count == 0) return;
        var s = new StackServices(stack);
        using (new LoopSynchronizationContext(loop).Enter())
            foreach (var service in services)
                _ = service.Kind switch
                {
                    "echo" => s.ServeTcp(service.Port, echo: true),
                    "discard" => s.ServeTcp(service.Port, echo: false),
                    "udp-echo" => s.ServeUdpEcho(service.Port),
                    _ => throw new InvalidOperationException($"our stack does not run service {service}"),
                };
    }

    private async Task ServeTcp(ushort port, bool echo)
    {
        var listener = _stack.ListenTcp(port, 16);
        while (true)
        {
            TcpStream stream;
            try
            {
                stream = await listener.AcceptAsync();
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            _ = Serve(stream, echo);
        }
    }

    private static async Task Serve(TcpStream stream, bool echo)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
                if (echo) await stream.WriteAsync(buffer.AsMemory(0, n));
            stream.ShutdownSend();
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer reset or the run ended: nothing to serve any more.
        }
    }

    private async Task ServeUdpEcho(ushort port)
    {
        var socket = _stack.OpenUdp(port);
        while (true)
        {
            ReceivedDatagram r;
            try
            {
                r = await socket.ReceiveFromAsync();
            }
            catch (Exception e) when (e is ObjectDisposedException or System.Net.Sockets.SocketException)
            {
                return;
            }
            socket.SendTo(r.Data, r.Remote, r.RemotePort);
        }
    }
}
