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

    public NetworkStack Stack { get; }
    public string Name { get; }
    public ILink Link { get; }
    public MacAddress Mac { get; }
    public Ipv4Cidr Address { get; }
    public int Mtu { get; }
    public Ethernet Ethernet { get; }
    public Arp Arp { get; }

    /// <summary>True for our address, the limited broadcast and this subnet's directed broadcast.</summary>
    public bool Accepts(Ipv4Address destination) =>
        destination == Address.Address || destination.IsBroadcast || destination == Address.DirectedBroadcast;

    public bool IsBroadcast(Ipv4Address destination) =>
        destination.IsBroadcast || (Address.PrefixLength < 31 && destination == Address.DirectedBroadcast);

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

    public override string ToString() => $"{Name} {Mac} {Address}";
}
