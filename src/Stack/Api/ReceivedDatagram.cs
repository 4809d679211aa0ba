using System.Net;
using Netstack.Wire;

namespace Netstack.Api;

/// <summary>A received datagram with where it came from (our UDP counterpart of System.Net.Sockets'
/// UdpReceiveResult, named apart from it so callers need no alias).</summary>
/// <param name="Buffer">Array holding the payload from index 0; the caller owns it.</param>
/// <param name="Length">Payload bytes in <paramref name="Buffer"/>.</param>
/// <param name="Remote">Source address of the datagram, either family.</param>
/// <param name="RemotePort">Source port of the datagram.</param>
/// <param name="Local">Our address it was sent to (may be a broadcast or multicast address).</param>
public readonly record struct ReceivedDatagram(byte[] Buffer, int Length, IpAddress Remote, ushort RemotePort,
    IpAddress Local)
{
    /// <summary>The source of an IPv4 datagram (meaningless for IPv6: use <see cref="Remote"/>).</summary>
    public Ipv4Address RemoteAddress => Remote.Ipv4;
    /// <summary>Our IPv4 address it was sent to (meaningless for IPv6: use <see cref="Local"/>).</summary>
    public Ipv4Address LocalAddress => Local.Ipv4;
    /// <summary>The payload: the first <see cref="Length"/> bytes of <see cref="Buffer"/>.</summary>
    public ReadOnlySpan<byte> Data => Buffer.AsSpan(0, Length);
    /// <summary>The sender as a BCL endpoint.</summary>
    public IPEndPoint RemoteEndPoint => new(Remote.ToSystem(), RemotePort);
}
