using Netstack.Link;
using Netstack.Wire;

namespace Netstack.Network.Ipv6;

/// <summary>An upper-layer protocol carried in IPv6 (ICMPv6, UDP, TCP): receives whole packets (reassembled, their
/// extension headers walked) addressed to us, and ICMPv6 errors about packets it sent.</summary>
public interface IIpv6Protocol
{
    /// <summary>Handles one upper-layer payload for us. Must drop and count bad input, never throw.</summary>
    void Receive(in Ipv6Delivery delivery, NetworkInterface iface);
    /// <summary>Handles an ICMPv6 error about a packet this protocol sent.</summary>
    void ReceiveError(in Icmpv6ErrorReport error);
}

/// <summary>One upper-layer payload delivered by IPv6: the packet it came in and where its upper-layer header
/// starts. Borrowed: valid only during the delivering call.</summary>
public readonly ref struct Ipv6Delivery
{
    /// <summary>A delivery of <paramref name="datagram"/>'s bytes from <paramref name="payloadOffset"/> on.</summary>
    /// <param name="datagram">The whole packet (reassembled if it was fragmented), link padding excluded.</param>
    /// <param name="payloadOffset">Offset of the upper-layer header in <paramref name="datagram"/>.</param>
    /// <param name="protocol">The upper-layer protocol.</param>
    /// <param name="transportChecksumVerified">The device vouched for the TCP/UDP checksum.</param>
    /// <param name="linkMulticast">The frame came to a multicast or broadcast MAC.</param>
    public Ipv6Delivery(ReadOnlySpan<byte> datagram, int payloadOffset, IpProtocol protocol, bool transportChecksumVerified,
        bool linkMulticast)
    {
        Datagram = datagram;
        PayloadOffset = payloadOffset;
        Protocol = protocol;
        TransportChecksumVerified = transportChecksumVerified;
        LinkMulticast = linkMulticast;
    }

    /// <summary>The whole packet, fixed header first.</summary>
    public ReadOnlySpan<byte> Datagram { get; }
    /// <summary>Offset of the upper-layer header in <see cref="Datagram"/>.</summary>
    public int PayloadOffset { get; }
    /// <summary>The upper-layer protocol.</summary>
    public IpProtocol Protocol { get; }
    /// <summary>The device vouched for the TCP/UDP/ICMPv6 checksum (receive offload).</summary>
    public bool TransportChecksumVerified { get; }
    /// <summary>The frame was sent to a link-layer multicast or broadcast address.</summary>
    public bool LinkMulticast { get; }
    /// <summary>The upper-layer bytes.</summary>
    public ReadOnlySpan<byte> Payload => Datagram[PayloadOffset..];
    /// <summary>The packet's fixed header view.</summary>
    public Ipv6Packet Packet => new(Datagram);
    /// <summary>Source address.</summary>
    public Ipv6Address Source => Ipv6Address.Read(Datagram[8..]);
    /// <summary>Destination address.</summary>
    public Ipv6Address Destination => Ipv6Address.Read(Datagram[24..]);
    /// <summary>Hop Limit as received.</summary>
    public byte HopLimit => Datagram[7];
}

/// <summary>An ICMPv6 error as delivered to the protocol whose packet caused it (RFC 4443 §3).</summary>
public readonly ref struct Icmpv6ErrorReport
{
    /// <summary>An error report; <paramref name="originalTransport"/> is borrowed, valid only during the call.</summary>
    /// <param name="type">ICMPv6 type of the error.</param>
    /// <param name="code">ICMPv6 code.</param>
    /// <param name="field">The 4-byte field: MTU of Packet Too Big, pointer of Parameter Problem.</param>
    /// <param name="reporter">Who sent the error.</param>
    /// <param name="originalSource">Source of the offending packet (us).</param>
    /// <param name="originalDestination">Destination of the offending packet.</param>
    /// <param name="originalProtocol">Upper-layer protocol of the offending packet.</param>
    /// <param name="originalTransport">The quoted start of its upper-layer header (at least 8 bytes).</param>
    public Icmpv6ErrorReport(Icmpv6Type type, byte code, uint field, Ipv6Address reporter, Ipv6Address originalSource,
        Ipv6Address originalDestination, IpProtocol originalProtocol, ReadOnlySpan<byte> originalTransport)
    {
        Type = type;
        Code = code;
        Field = field;
        Reporter = reporter;
        OriginalSource = originalSource;
        OriginalDestination = originalDestination;
        OriginalProtocol = originalProtocol;
        OriginalTransport = originalTransport;
    }

    /// <summary>ICMPv6 type of the error.</summary>
    public Icmpv6Type Type { get; }
    /// <summary>ICMPv6 code of the error.</summary>
    public byte Code { get; }
    /// <summary>MTU of Packet Too Big, pointer of Parameter Problem, else 0.</summary>
    public uint Field { get; }
    /// <summary>Who sent the error (a router, the destination, or us for local failures).</summary>
    public Ipv6Address Reporter { get; }
    /// <summary>Source of the offending packet (our address).</summary>
    public Ipv6Address OriginalSource { get; }
    /// <summary>Destination of the offending packet.</summary>
    public Ipv6Address OriginalDestination { get; }
    /// <summary>Upper-layer protocol of the offending packet.</summary>
    public IpProtocol OriginalProtocol { get; }
    /// <summary>The start of the offending packet's upper-layer header.</summary>
    public ReadOnlySpan<byte> OriginalTransport { get; }

    /// <summary>A short description, e.g. "DestinationUnreachable code 4 from 2001:db8::1".</summary>
    public override string ToString() => $"{Type} code {Code} from {Reporter}";
}
