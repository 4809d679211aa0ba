using Netstack.Api;

namespace Netstack.Cli.Live;

/// <summary>UDP echo (RFC 862): every datagram goes back to its sender unchanged.</summary>
public sealed class UdpEchoService(NetworkStack stack, ushort port, TextWriter log)
{
    public long Datagrams { get; private set; }

    /// <summary>Runs on the event loop until the socket is closed.</summary>
    public async Task RunAsync()
    {
        using var socket = stack.OpenUdp(port);
        while (true)
        {
            ReceivedDatagram datagram;
            try
            {
                datagram = await socket.ReceiveFromAsync();
            }
            catch (OperationCanceledException)
            {
                return;
            }
            Datagrams++;
            try
            {
                socket.SendTo(datagram.Data, datagram.RemoteEndPoint);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                log.WriteLine($"udp echo {port}: reply to {datagram.RemoteEndPoint} not sent: {e.SocketErrorCode}");
            }
        }
    }
}
