namespace Netstack.Wire;

/// <summary>IPv4 protocol numbers (IANA) that the stack dispatches on.</summary>
public enum IpProtocol : byte
{
    /// <summary>ICMPv4 (RFC 792).</summary>
    Icmp = 1,
    /// <summary>TCP (RFC 9293).</summary>
    Tcp = 6,
    /// <summary>UDP (RFC 768).</summary>
    Udp = 17,
}
