namespace Netstack.Wire;

/// <summary>IP protocol numbers (IANA) that the stack dispatches on: IPv4's Protocol field and IPv6's Next Header,
/// extension headers included.</summary>
public enum IpProtocol : byte
{
    /// <summary>IPv6 hop-by-hop options header (RFC 8200 §4.3); only directly after the fixed header.</summary>
    Ipv6HopByHop = 0,
    /// <summary>ICMPv4 (RFC 792).</summary>
    Icmp = 1,
    /// <summary>TCP (RFC 9293).</summary>
    Tcp = 6,
    /// <summary>UDP (RFC 768).</summary>
    Udp = 17,
    /// <summary>IPv6 routing header (RFC 8200 §4.4).</summary>
    Ipv6Routing = 43,
    /// <summary>IPv6 fragment header (RFC 8200 §4.5).</summary>
    Ipv6Fragment = 44,
    /// <summary>ICMPv6 (RFC 4443).</summary>
    Icmpv6 = 58,
    /// <summary>IPv6 "no next header" (RFC 8200 §4.7): nothing follows.</summary>
    Ipv6NoNextHeader = 59,
    /// <summary>IPv6 destination options header (RFC 8200 §4.6).</summary>
    Ipv6DestinationOptions = 60,
}
