using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Link;
using Netstack.Drivers.Loops;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;

namespace Netstack.Tests.Tcp;

/// <summary>A segment the stack under test put on the wire, decoded.</summary>
public sealed record SentSegment(Instant Time, ushort SourcePort, ushort DestinationPort, TcpFlags Flags, uint Seq, uint Ack,
    ushort Window, TcpHeaderOptions Options, byte[] Payload)
{
    public int Length => Payload.Length;
    public override string ToString() =>
        $"{Time} {SourcePort}>{DestinationPort} [{Flags}] seq {Seq} ack {Ack} win {Window} len {Length} <{Options}>";
}

/// <summary>The far end of a packet-trace test: a link into one stack on which the test writes
/// hand-built segments and reads back exactly what the stack emitted, with virtual timestamps.</summary>
public sealed class ScriptedPeer : ILink
{
    public static readonly Ipv4Address HostIp = Ipv4Address.Parse("10.0.0.1");
    public static readonly Ipv4Address PeerIp = Ipv4Address.Parse("10.0.0.2");
    public static readonly MacAddress HostMac = MacAddress.Parse("02:00:00:00:00:01");
    public static readonly MacAddress PeerMac = MacAddress.Parse("02:00:00:00:00:02");
    public const ushort HostPort = 80;
    public const ushort PeerPort = 40000;

    private IFrameReceiver? _receiver;
    private int _taken;

    public ScriptedPeer(TcpSettings? tcp = null, int mtu = 1500)
    {
        Mtu = mtu;
        Loop = new VirtualEventLoop();
        Host = new NetworkStack(Loop, new SeededRandom(7), new StackOptions { Tcp = tcp ?? new TcpSettings() }, "host");
        Host.AddInterface(this, HostMac, new Ipv4Cidr(HostIp, 24));
        // Teach the host our MAC the way a real peer would: an ARP request for its address.
        var frame = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
        EthernetFrame.WriteHeader(frame, MacAddress.Broadcast, PeerMac, EtherType.Arp);
        new ArpPacket(ArpOperation.Request, PeerMac, PeerIp, MacAddress.Zero, HostIp).Write(frame.AsSpan(EthernetFrame.HeaderLength));
        _receiver!.ReceiveFrame(frame);
        OtherFrames = 0;
    }

    public VirtualEventLoop Loop { get; }
    public NetworkStack Host { get; }
    public int Mtu { get; }
    public List<SentSegment> Sent { get; } = new();
    public int OtherFrames { get; private set; }

    public void Attach(IFrameReceiver receiver) => _receiver = receiver;

    public void Transmit(ReadOnlySpan<byte> bytes)
    {
        var frame = new EthernetFrame(bytes);
        if (frame.EtherType == EtherType.Arp && ArpPacket.TryParse(frame.Payload, out var arp)
            && arp.Operation == ArpOperation.Request && arp.TargetProtocol == PeerIp)
        {
            // Answer after the current event, as a real peer would (not re-entrantly inside Transmit).
            OtherFrames++;
            var reply = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
            EthernetFrame.WriteHeader(reply, HostMac, PeerMac, EtherType.Arp);
            new ArpPacket(ArpOperation.Reply, PeerMac, PeerIp, HostMac, HostIp).Write(reply.AsSpan(EthernetFrame.HeaderLength));
            Loop.Post(() => _receiver!.ReceiveFrame(reply));
            return;
        }
        if (frame.EtherType != EtherType.Ipv4)
        {
            OtherFrames++;
            return;
        }
        var ip = new Ipv4Packet(frame.Payload);
        ip.Validate().Should().Be(Ipv4Malformation.None);
        ip = new Ipv4Packet(frame.Payload[..ip.TotalLength]);
        if (ip.Protocol != IpProtocol.Tcp)
        {
            OtherFrames++;
            return;
        }
        var tcp = new TcpSegment(ip.Payload);
        tcp.IsChecksumValid(ip.Source, ip.Destination).Should().BeTrue("every emitted segment has a valid checksum");
        TcpHeaderOptions.TryParse(tcp.Options, out var options).Should().BeTrue();
        Sent.Add(new SentSegment(Loop.Now, tcp.SourcePort, tcp.DestinationPort, tcp.Flags, tcp.SequenceNumber,
            tcp.AcknowledgmentNumber, tcp.Window, options, tcp.Payload.ToArray()));
    }

    /// <summary>Delivers a segment from the peer to the host now.</summary>
    public void Send(TcpFlags flags, uint seq, uint ack = 0, ushort window = 65535, TcpHeaderOptions? options = null,
        byte[]? payload = null, ushort sourcePort = PeerPort, ushort destinationPort = HostPort)
    {
        var o = options ?? TcpHeaderOptions.None;
        payload ??= [];
        int header = TcpSegment.MinHeaderLength + o.Length;
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + header + payload.Length];
        EthernetFrame.WriteHeader(frame, HostMac, PeerMac, EtherType.Ipv4);
        var ipBytes = frame.AsSpan(EthernetFrame.HeaderLength);
        var seg = ipBytes[Ipv4Packet.MinHeaderLength..];
        o.Write(seg[TcpSegment.MinHeaderLength..]);
        payload.CopyTo(seg[header..]);
        TcpSegment.WriteHeader(seg, new TcpHeader(sourcePort, destinationPort, seq, ack, flags, window, header), PeerIp, HostIp);
        Ipv4Packet.WriteHeader(ipBytes, new Ipv4Header(PeerIp, HostIp, IpProtocol.Tcp, ipBytes.Length, 1));
        _receiver!.ReceiveFrame(frame);
    }

    /// <summary>Delivers, now, an ICMP error from the peer quoting the IP header and a TCP header the host
    /// sent (ports, seq, ack, flags): what a router or the peer's kernel would send about that segment.</summary>
    public void SendIcmpError(IcmpType type, byte code, ushort sourcePort, ushort destinationPort, uint seq, uint ack, TcpFlags flags,
        ushort nextHopMtu = 0)
    {
        var quoted = new byte[Ipv4Packet.MinHeaderLength + TcpSegment.MinHeaderLength];
        Ipv4Packet.WriteHeader(quoted, new Ipv4Header(HostIp, PeerIp, IpProtocol.Tcp, quoted.Length, 1));
        TcpSegment.WriteHeader(quoted.AsSpan(Ipv4Packet.MinHeaderLength),
            new TcpHeader(sourcePort, destinationPort, seq, ack, flags, 1000), HostIp, PeerIp);
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + IcmpPacket.HeaderLength + quoted.Length];
        EthernetFrame.WriteHeader(frame, HostMac, PeerMac, EtherType.Ipv4);
        var ipBytes = frame.AsSpan(EthernetFrame.HeaderLength);
        var icmp = ipBytes[Ipv4Packet.MinHeaderLength..];
        quoted.CopyTo(icmp[IcmpPacket.HeaderLength..]);
        IcmpPacket.WriteHeaderAndChecksum(icmp, type, code, 0, nextHopMtu);
        Ipv4Packet.WriteHeader(ipBytes, new Ipv4Header(PeerIp, HostIp, IpProtocol.Icmp, ipBytes.Length, 2));
        _receiver!.ReceiveFrame(frame);
    }

    /// <summary>Runs the loop to <paramref name="time"/> (absolute virtual time).</summary>
    public void RunUntil(Instant time) => Loop.RunUntil(time);

    public void RunFor(Duration d) => Loop.RunUntil(Loop.Now + d);

    /// <summary>The next emitted segment not yet taken; fails if there is none.</summary>
    public SentSegment Next()
    {
        _taken.Should().BeLessThan(Sent.Count, "a segment was expected by {0}", Loop.Now);
        return Sent[_taken++];
    }

    public void ExpectNothing()
    {
        Sent.Skip(_taken).Should().BeEmpty("nothing should be emitted by {0}", Loop.Now);
    }

    public List<SentSegment> TakeAll()
    {
        var rest = Sent.Skip(_taken).ToList();
        _taken = Sent.Count;
        return rest;
    }

    public static TcpHeaderOptions Opts(ushort mss = 0, sbyte ws = -1, bool sackOk = false, uint? tsVal = null, uint tsEcr = 0)
    {
        var o = TcpHeaderOptions.None;
        o.Mss = mss;
        o.WindowScale = ws;
        o.SackPermitted = sackOk;
        if (tsVal is { } v)
        {
            o.HasTimestamp = true;
            o.TsVal = v;
            o.TsEcr = tsEcr;
        }
        return o;
    }

    public static TcpHeaderOptions Sack(params (uint Left, uint Right)[] blocks)
    {
        var o = TcpHeaderOptions.None;
        for (int i = 0; i < blocks.Length; i++) o.SackBlocks[i] = new SackBlock(blocks[i].Left, blocks[i].Right);
        o.SackBlockCount = blocks.Length;
        return o;
    }

    public static uint Read32(ReadOnlySpan<byte> b) => BinaryPrimitives.ReadUInt32BigEndian(b);
}
