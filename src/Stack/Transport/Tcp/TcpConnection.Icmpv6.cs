using System.Net.Sockets;
using Netstack.Network.Ipv6;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>ICMPv6 errors about this connection (RFC 4443, RFC 5461, RFC 8201).</summary>
public sealed partial class TcpConnection
{
    /// <summary>Port unreachable aborts a connection attempt (a hard error, RFC 5461); Packet Too Big lowers the MSS
    /// to the path MTU the IPv6 layer now holds (RFC 8201) and resends what is in flight; other errors are soft.</summary>
    internal void OnIcmpv6Error(in Icmpv6ErrorReport error, uint seq, int pathMtu)
    {
        var s = new SequenceNumber(seq);
        if (s < _sndUna || s >= _sndMax) return;
        switch (error.Type)
        {
            case Icmpv6Type.PacketTooBig:
                OnPathMtuTooBig(pathMtu, Ipv6Packet.HeaderLength);
                return;
            case Icmpv6Type.DestinationUnreachable when error.Code == (byte)Icmpv6UnreachableCode.Port:
                if (State == TcpState.SynSent) Fail(SocketError.ConnectionRefused);
                else _softError = SocketError.ConnectionRefused;
                return;
            case Icmpv6Type.DestinationUnreachable when error.Code == (byte)Icmpv6UnreachableCode.NoRoute:
                _softError = SocketError.NetworkUnreachable;
                return;
            default:
                _softError = SocketError.HostUnreachable;
                return;
        }
    }
}
