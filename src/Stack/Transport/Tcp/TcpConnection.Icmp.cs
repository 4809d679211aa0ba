using System.Net.Sockets;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>ICMP errors about this connection (RFC 1122 §4.2.3.9, RFC 5461, RFC 5927).</summary>
public sealed partial class TcpConnection
{
    /// <summary>RFC 1122 §4.2.3.9 / RFC 5461: port and protocol unreachable abort a connection attempt
    /// (hard errors); other errors are soft: remembered and reported only if the connection times out.</summary>
    internal void OnIcmpError(in Network.IcmpErrorReport error, uint seq)
    {
        var s = new SequenceNumber(seq);
        // RFC 5927 §4.1: SND.UNA <= SEQ < SND.NXT (the highest sent, _sndMax); SND.NXT itself was never sent.
        if (s < _sndUna || s >= _sndMax) return;
        if (error.Type != IcmpType.DestinationUnreachable)
        {
            _softError = SocketError.HostUnreachable;
            return;
        }
        var code = (UnreachableCode)error.Code;
        if (code is UnreachableCode.Port or UnreachableCode.Protocol)
        {
            if (State == TcpState.SynSent) Fail(SocketError.ConnectionRefused);
            else _softError = SocketError.ConnectionRefused;
            return;
        }
        if (code == UnreachableCode.FragmentationNeeded) return;
        _softError = code == UnreachableCode.Network ? SocketError.NetworkUnreachable : SocketError.HostUnreachable;
    }
}
