using Netstack.Link;
using Netstack.Wire;

namespace Netstack.Network;

/// <summary>A protocol carried in IPv4 (ICMP, UDP, TCP): receives whole datagrams (reassembled if they
/// were fragmented) addressed to us, and ICMP errors about datagrams it sent.</summary>
public interface IIpProtocol
{
    void Receive(Ipv4Packet packet, NetworkInterface iface);
    void ReceiveError(in IcmpErrorReport error);
}

/// <summary>An ICMP error as delivered to the protocol whose datagram caused it (RFC 1122 §3.2.2).</summary>
public readonly ref struct IcmpErrorReport
{
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

    public IcmpType Type { get; }
    public byte Code { get; }
    public ushort NextHopMtu { get; }
    /// <summary>Who sent the ICMP error (a router, the destination, or us for local failures).</summary>
    public Ipv4Address Reporter { get; }
    public Ipv4Address OriginalSource { get; }
    public Ipv4Address OriginalDestination { get; }
    public IpProtocol OriginalProtocol { get; }
    /// <summary>The start of the offending datagram's transport header: at least 8 bytes (ports, seq).</summary>
    public ReadOnlySpan<byte> OriginalTransport { get; }

    public override string ToString() => Type == IcmpType.DestinationUnreachable
        ? $"{(UnreachableCode)Code} unreachable from {Reporter}"
        : $"{Type} code {Code} from {Reporter}";
}
