using Netstack.Drivers.Segments;
using Netstack.Link;
using Netstack.Drivers.Loops;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Tests.Protocols;

/// <summary>One stack on a <see cref="ScriptedLink"/>, driven by a virtual clock: the fixture of the
/// packet-trace tests. Feed a frame at T, run the clock, take what the stack sent.</summary>
public sealed class TracedHost
{
    public static readonly MacAddress Mac = MacAddress.Parse("02:00:00:00:00:0a");
    public static readonly Ipv4Address Ip = Ipv4Address.Parse("192.0.2.10");
    public static readonly MacAddress PeerMac = MacAddress.Parse("02:00:00:00:00:14");
    public static readonly Ipv4Address PeerIp = Ipv4Address.Parse("192.0.2.20");
    public static readonly MacAddress OtherMac = MacAddress.Parse("02:00:00:00:00:1e");
    public static readonly Ipv4Address OtherIp = Ipv4Address.Parse("192.0.2.30");
    public static readonly Ipv4Address Remote = Ipv4Address.Parse("198.51.100.7");

    private int _taken;

    public TracedHost(StackOptions? options = null, int mtu = 1500, ulong seed = 1)
    {
        Loop = new VirtualEventLoop();
        Stack = new NetworkStack(Loop, new SeededRandom(seed), options ?? new StackOptions
        {
            Arp = new ArpOptions { SendGratuitousOnStart = false },
        }, "traced");
        Link = new ScriptedLink(Loop, mtu);
        Interface = Stack.AddInterface(Link, Mac, new Ipv4Cidr(Ip, 24));
    }

    public VirtualEventLoop Loop { get; }
    public NetworkStack Stack { get; }
    public ScriptedLink Link { get; }
    public NetworkInterface Interface { get; }
    public Instant Now => Loop.Now;

    /// <summary>Delivers a frame now and runs everything it triggers at this instant.</summary>
    public void Feed(byte[] frame) => FeedAt(Loop.Now, frame);

    public void FeedAt(Instant at, byte[] frame)
    {
        Link.InjectAt(at, frame);
        Loop.RunUntil(at);
    }

    public void RunUntil(Instant t) => Loop.RunUntil(t);
    public void RunFor(Duration d) => Loop.RunUntil(Loop.Now + d);

    /// <summary>Frames sent since the last call.</summary>
    public List<TransmittedFrame> TakeSent()
    {
        var frames = Link.Sent.GetRange(_taken, Link.Sent.Count - _taken);
        _taken = Link.Sent.Count;
        return frames;
    }

    /// <summary>Teaches the stack the peer's MAC (the peer asks for us; we answer) and discards the answer.</summary>
    public void LearnPeer(Ipv4Address? ip = null, MacAddress? mac = null)
    {
        Feed(TestFrames.Arp(ArpOperation.Request, mac ?? PeerMac, ip ?? PeerIp, MacAddress.Zero, Ip));
        TakeSent();
    }

    /// <summary>A frame from the peer to us carrying an IPv4 payload.</summary>
    public static byte[] FromPeer(IpProtocol protocol, byte[] payload, ushort id = 1, byte ttl = 64,
        Ipv4Address? source = null, Ipv4Address? destination = null, bool moreFragments = false, int fragmentOffset = 0,
        MacAddress? destinationMac = null, bool dontFragment = false) =>
        TestFrames.Ipv4(PeerMac, destinationMac ?? Mac, source ?? PeerIp, destination ?? Ip, protocol, payload, id, ttl,
            dontFragment, moreFragments, fragmentOffset);
}
