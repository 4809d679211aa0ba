using System.Net;
using Netstack.Wire;

namespace Netstack.Api;

/// <summary>A received datagram with where it came from (our UDP counterpart of System.Net.Sockets'
/// UdpReceiveResult, named apart from it so callers need no alias).</summary>
/// <param name="Buffer">Array holding the payload from index 0; the caller owns it.</param>
/// <param name="Length">Payload bytes in <paramref name="Buffer"/>.</param>
/// <param name="RemoteAddress">Source address of the datagram.</param>
/// <param name="RemotePort">Source port of the datagram.</param>
/// <param name="LocalAddress">Our address it was sent to (may be a broadcast address).</param>
public readonly record struct ReceivedDatagram(byte[] Buffer, int Length, Ipv4Address RemoteAddress, ushort RemotePort,
    Ipv4Address LocalAddress)
{
    /// <summary>The payload: the first <see cref="Length"/> bytes of <see cref="Buffer"/>.</summary>
    public ReadOnlySpan<byte> Data => Buffer.AsSpan(0, Length);
    /// <summary>The sender as a BCL endpoint.</summary>
    public IPEndPoint RemoteEndPoint => new(RemoteAddress.ToSystem(), RemotePort);
}
