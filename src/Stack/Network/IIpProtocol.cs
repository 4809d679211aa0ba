using Netstack.Link;
using Netstack.Wire;

namespace Netstack.Network;

/// <summary>A protocol carried in IPv4 (ICMP, UDP, TCP): receives whole datagrams (reassembled if they
/// were fragmented) addressed to us, and ICMP errors about datagrams it sent.</summary>
public interface IIpProtocol
{
    /// <summary>Handles one whole datagram for us (validated, reassembled) that arrived on <paramref name="iface"/>.
    /// Must drop and count bad input, never throw.</summary>
    void Receive(Ipv4Packet packet, NetworkInterface iface);
    /// <summary>Handles an ICMP error about a datagram this protocol sent.</summary>
    void ReceiveError(in IcmpErrorReport error);
}

/// <summary>An ICMP error as delivered to the protocol whose datagram caused it (RFC 1122 §3.2.2).</summary>
public readonly ref struct IcmpErrorReport
{
    /// <summary>An error report; <paramref name="originalTransport"/> is borrowed, valid only during the delivering
    /// call.</summary>
    /// <param name="type">ICMP type of the error.</param>
    /// <param name="code">ICMP code of the error.</param>
    /// <param name="nextHopMtu">Next-hop MTU of a Fragmentation Needed error (RFC 1191), else 0.</param>
    /// <param name="reporter">Who sent the error.</param>
    /// <param name="originalSource">Source of the offending datagram (us).</param>
    /// <param name="originalDestination">Destination of the offending datagram.</param>
    /// <param name="originalProtocol">Protocol of the offending datagram.</param>
    /// <param name="originalTransport">The quoted start of its transport header, at least 8 bytes.</param>
    public IcmpErrorReport(IcmpType type, byte code, ushort nextHopMtu, Ipv4Address reporter,
        Ipv4Address originalSource, Ipv4Address originalDestination, IpProtocol originalProtocol,
        ReadOnlySpan<byte> originalTransport)
    {
        Type = type;
        Code = code;
        NextHopMtu = nextHopMtu;
        Reporter = reporter;
        OriginalSource = originalSource;
        OriginalDestination = originalDestination;
        OriginalProtocol = originalProtocol;
        OriginalTransport = originalTransport;
    }

    /// <summary>ICMP type of the error (unreachable, time exceeded, parameter problem, source quench).</summary>
    public IcmpType Type { get; }
    /// <summary>ICMP code of the error, e.g. an <see cref="UnreachableCode"/>.</summary>
    public byte Code { get; }
    /// <summary>Next-hop MTU in bytes for Fragmentation Needed (RFC 1191); 0 otherwise or when the router did not
    /// say.</summary>
    public ushort NextHopMtu { get; }
    /// <summary>Who sent the ICMP error (a router, the destination, or us for local failures).</summary>
    public Ipv4Address Reporter { get; }
    /// <summary>Source address of the offending datagram (our address).</summary>
    public Ipv4Address OriginalSource { get; }
    /// <summary>Destination address of the offending datagram.</summary>
    public Ipv4Address OriginalDestination { get; }
    /// <summary>Protocol of the offending datagram.</summary>
    public IpProtocol OriginalProtocol { get; }
    /// <summary>The start of the offending datagram's transport header: at least 8 bytes (ports, seq).</summary>
    public ReadOnlySpan<byte> OriginalTransport { get; }

    /// <summary>A short description, e.g. "Port unreachable from 192.0.2.1".</summary>
    public override string ToString() => Type == IcmpType.DestinationUnreachable
        ? $"{(UnreachableCode)Code} unreachable from {Reporter}"
        : $"{Type} code {Code} from {Reporter}";
}
