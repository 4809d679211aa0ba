namespace Netstack.Wire;

/// <summary>IPv4 protocol numbers (IANA) that the stack dispatches on.</summary>
public enum IpProtocol : byte
{
    Icmp = 1,
    Tcp = 6,
    Udp = 17,
}
