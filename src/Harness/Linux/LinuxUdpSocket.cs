using System.Net;
using System.Net.Sockets;
using Netstack.Api;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Linux;

/// <summary>A UDP socket of the host the Linux kernel plays. Datagrams are received on a pool thread and posted to
/// the event loop, so expectations see them arrive between events, as with our stack's sockets.</summary>
public sealed class LinuxUdpSocket
{
    private readonly Socket _socket;
    private readonly IScheduler _loop;
    private readonly IpAddress _local;

    public LinuxUdpSocket(LinuxPeer peer, IScheduler loop, ushort port)
    {
        _loop = loop;
        _local = peer.Interface.Address.Address;
        _socket = peer.OpenSocket(SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(peer.AnyAddress, port));
        _ = ReceiveLoopAsync();
    }

    /// <summary>Datagrams received and not yet matched, oldest first (changed on the loop thread only).</summary>
    public Queue<ReceivedDatagram> Received { get; } = new();
    public long DatagramsReceived { get; private set; }

    public void SendTo(byte[] payload, IpAddress destination, ushort port) =>
        _socket.SendTo(payload, new IPEndPoint(LinuxPeer.ForSocket(_socket, destination), port));

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0)).ConfigureAwait(false);
                var from = (IPEndPoint)r.RemoteEndPoint;
                var datagram = new ReceivedDatagram(buffer[..r.ReceivedBytes], r.ReceivedBytes, IpAddress.FromSystem(from.Address), (ushort)from.Port, _local);
                _loop.Post(() =>
                {
                    DatagramsReceived++;
                    Received.Enqueue(datagram);
                });
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            // A port unreachable for an earlier send surfaces here on Linux; keep receiving.
            _ = ReceiveLoopAsync();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The run ended and the namespace (and socket) went with it.
        }
    }
}
