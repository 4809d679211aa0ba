using System.Net.Sockets;

namespace Netstack.Transport.Tcp;

/// <summary>What a connection tells its owner (a TcpStream, a benchmark). Called from protocol code on
/// the event loop: implementations must only record state or complete tasks asynchronously.</summary>
public interface ITcpConnectionObserver
{
    /// <summary>The handshake completed: the connection entered ESTABLISHED.</summary>
    void OnEstablished(TcpConnection connection);
    /// <summary>Data arrived, or the peer finished sending (end of stream).</summary>
    void OnReadable(TcpConnection connection);
    /// <summary>Room appeared in the send buffer.</summary>
    void OnWritable(TcpConnection connection);
    /// <summary>The connection is gone: <paramref name="error"/> is Success for an orderly close.</summary>
    void OnClosed(TcpConnection connection, SocketError error);
}
