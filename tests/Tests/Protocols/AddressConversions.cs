using System.Net.NetworkInformation;
using Netstack.Wire;

namespace Netstack.Tests.Protocols;

/// <summary>Conversions between our address types and the ones PacketDotNet speaks.</summary>
public static class AddressConversions
{
    public static PhysicalAddress ToPhysical(this MacAddress mac)
    {
        var b = new byte[6];
        mac.Write(b);
        return new PhysicalAddress(b);
    }

    public static MacAddress ToMac(this PhysicalAddress address) => MacAddress.Read(address.GetAddressBytes());

    public static Ipv4Address ToOurs(this System.Net.IPAddress address) => Ipv4Address.FromSystem(address);

    public static byte[] Bytes(this Ipv4Address address)
    {
        var b = new byte[4];
        address.Write(b);
        return b;
    }
}
