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
        if (code == UnreachableCode.FragmentationNeeded)
        {
            OnPathMtuTooBig(error.NextHopMtu);
            return;
        }
        _softError = code == UnreachableCode.Network ? SocketError.NetworkUnreachable : SocketError.HostUnreachable;
    }

    /// <summary>Linux's default floor for a learned path MTU (min_pmtu, 552): a forged "fragmentation needed"
    /// cannot shrink our segments below 512 bytes of payload.</summary>
    private const int MinimumPathMtu = 552;
    private static readonly int[] MtuPlateaus = [32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];

    /// <summary>Path MTU discovery (RFC 1191 §6.3): an ICMP "fragmentation needed" about a segment in flight
    /// (the caller checked SND.UNA &lt;= SEQ &lt; SND.NXT) lowers the MSS to fit the next-hop MTU; a router that
    /// gives no MTU (RFC 1191 §7) gets the next plateau below the size we send. What is in flight was dropped
    /// for being too big, so it is sent again at once at the new size, without a congestion response.</summary>
    private void OnPathMtuTooBig(ushort nextHopMtu) => OnPathMtuTooBig(nextHopMtu, Ipv4Packet.MinHeaderLength);

    /// <summary>Path MTU discovery for either family: <paramref name="ipHeaderLength"/> is 20 for IPv4, 40 for IPv6
    /// (whose Packet Too Big always carries an MTU of at least 1280, RFC 8201).</summary>
    private void OnPathMtuTooBig(int nextHopMtu, int ipHeaderLength)
    {
        int current = SendMss + (_tsEnabled ? TimestampOptionLength : 0) + ipHeaderLength + TcpSegment.MinHeaderLength;
        int mtu = nextHopMtu;
        if (mtu == 0)
        {
            mtu = MtuPlateaus[^1];
            foreach (int p in MtuPlateaus)
                if (p < current) { mtu = p; break; }
        }
        mtu = Math.Max(mtu, MinimumPathMtu);
        if (mtu >= current) return;
        _pathMss = mtu - ipHeaderLength - TcpSegment.MinHeaderLength;
        _counters.TcpPathMtuReductions++;
        if (!CanSendData || _sndUna == _sndMax) return;
        _sndNxt = _sndUna;
        if (_fin.Sent && _sndNxt <= _fin.Sequence) _fin.Sent = false;
        _highRxt = _sndUna;
        Output();
    }
}
