using System.Net;
using Netstack.Wire;

namespace Netstack.Api;

/// <summary>A received datagram with where it came from (our UDP counterpart of System.Net.Sockets'
/// UdpReceiveResult, named apart from it so callers need no alias).</summary>
public readonly record struct ReceivedDatagram(byte[] Buffer, int Length, Ipv4Address RemoteAddress, ushort RemotePort,
    Ipv4Address LocalAddress)
{
    public ReadOnlySpan<byte> Data => Buffer.AsSpan(0, Length);
    public IPEndPoint RemoteEndPoint => new(RemoteAddress.ToSystem(), RemotePort);
}
