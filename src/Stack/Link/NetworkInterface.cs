using Netstack.Buffers;
using Netstack.Wire;

namespace Netstack.Link;

/// <summary>One attachment of the stack to a link: its addresses, and the link-layer protocols
/// (Ethernet, ARP) that serve it.</summary>
public sealed class NetworkInterface : IFrameReceiver
{
    internal NetworkInterface(NetworkStack stack, string name, ILink link, MacAddress mac, Ipv4Cidr address, int? mtu)
    {
        Stack = stack;
        Name = name;
        Link = link;
        Mac = mac;
        Address = address;
        Mtu = Math.Min(mtu ?? link.Mtu, link.Mtu);
        Ethernet = new Ethernet(this);
        Arp = new Arp(this);
        link.Attach(this);
    }

    /// <summary>The stack this interface belongs to.</summary>
    public NetworkStack Stack { get; }
    /// <summary>Name given when the interface was added, e.g. "eth0"; for logs and reports.</summary>
    public string Name { get; }
    /// <summary>The device frames are sent through and received from.</summary>
    public ILink Link { get; }
    /// <summary>Our MAC address on this link: source of every frame we send, destination we accept.</summary>
    public MacAddress Mac { get; }
    /// <summary>Our IPv4 address and the prefix of the directly attached subnet.</summary>
    public Ipv4Cidr Address { get; }
    /// <summary>Largest IPv4 datagram in bytes sent on this interface: the configured MTU capped at
    /// <see cref="ILink.Mtu"/>.</summary>
    public int Mtu { get; }
    /// <summary>The Ethernet II layer of this interface.</summary>
    public Ethernet Ethernet { get; }
    /// <summary>The ARP cache and resolver of this interface.</summary>
    public Arp Arp { get; }
    /// <summary>IPv6 on this interface (addresses, neighbour cache, routers); null until
    /// <see cref="NetworkStack.EnableIpv6"/>.</summary>
    public Network.Ipv6.Ipv6Interface? Ipv6 { get; internal set; }

    /// <summary>True for our address, the limited broadcast and this subnet's directed broadcast.</summary>
    public bool Accepts(Ipv4Address destination) =>
        destination == Address.Address || destination.IsBroadcast || destination == Address.DirectedBroadcast;

    /// <summary>True when <paramref name="destination"/> is sent as an Ethernet broadcast: the limited broadcast, or
    /// the directed broadcast of a subnet wider than /31 (RFC 3021).</summary>
    public bool IsBroadcast(Ipv4Address destination) =>
        destination.IsBroadcast || (Address.PrefixLength < 31 && destination == Address.DirectedBroadcast);

    /// <summary>Receives one frame whose checksums are to be verified; a fault while processing it is contained like
    /// <see cref="ReceiveFrame(ReadOnlySpan{byte}, bool)"/>.</summary>
    public void ReceiveFrame(ReadOnlySpan<byte> frame)
    {
        try
        {
            Ethernet.Receive(frame);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (!Stack.ContainFrameFault(this, frame, e)) throw;
        }
    }

    /// <summary>The frame entry: a defect that throws while processing one frame is contained here (see
    /// <see cref="NetworkStack.FrameFaultObserver"/>) instead of ending the loop that delivered it.</summary>
    public void ReceiveFrame(ReadOnlySpan<byte> frame, bool transportChecksumVerified)
    {
        try
        {
            Ethernet.Receive(frame, transportChecksumVerified);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (!Stack.ContainFrameFault(this, frame, e)) throw;
        }
    }

    /// <summary>Sends an IPv4 datagram to a next hop on this link, resolving its MAC first.
    /// Takes ownership of <paramref name="datagram"/>.</summary>
    internal void SendIpv4(PacketBuffer datagram, Ipv4Address nextHop)
    {
        if (IsBroadcast(nextHop))
            Ethernet.Send(datagram, MacAddress.Broadcast, EtherType.Ipv4);
        else
            Arp.SendWhenResolved(datagram, nextHop);
    }

    /// <summary>Sends an IPv6 packet to a next hop on this link: multicast straight to its group's MAC, unicast
    /// through neighbour resolution. Takes ownership of <paramref name="datagram"/>.</summary>
    internal void SendIpv6(PacketBuffer datagram, Ipv6Address nextHop, Ipv6Address source)
    {
        if (nextHop.IsMulticast)
            Ethernet.Send(datagram, nextHop.MulticastMac, EtherType.Ipv6);
        else
            Ipv6!.Neighbors.SendWhenResolved(datagram, nextHop, source);
    }

    /// <summary>Name, MAC and address/prefix, e.g. "eth0 02:00:00:00:00:0a 192.0.2.10/24".</summary>
    public override string ToString() => $"{Name} {Mac} {Address}";
}
