using System.Buffers.Binary;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Wire;
using Netstack.Harness.Worlds;

namespace Netstack.Harness.Fuzzing;

/// <summary>Seed frames for the fuzzer: real traffic recorded from a small simulated workload (ARP,
/// pings small and fragmented, UDP to open and closed ports, TCP segments with every option), all
/// addressed to the victim, plus any frames from pcap files the caller adds.</summary>
public static class FuzzCorpus
{
    public static readonly MacAddress SenderMac = MacAddress.Parse("02:00:00:00:00:0a");
    public static readonly MacAddress VictimMac = MacAddress.Parse("02:00:00:00:00:0b");
    public static readonly Ipv4Address SenderIp = Ipv4Address.Parse("192.0.2.10");
    public static readonly Ipv4Address VictimIp = Ipv4Address.Parse("192.0.2.11");
    public static readonly Ipv6Address SenderIp6 = Ipv6Address.Parse("2001:db8::a");
    public static readonly Ipv6Address VictimIp6 = Ipv6Address.Parse("2001:db8::b");
    public const ushort OpenUdpPort = 7;
    public const ushort OpenTcpPort = 80;

    public static List<byte[]> Build()
    {
        var sink = new FrameCollector();
        var world = new WorldBuilder(7, sink)
            .Segment("lan")
            .Host("a", "lan", SenderMac, new Ipv4Cidr(SenderIp, 24))
            .Host("b", "lan", VictimMac, new Ipv4Cidr(VictimIp, 24));
        var sim = world.World;
        var a = world["a"];
        var b = world["b"];
        using var open = b.OpenUdp(OpenUdpPort);
        sim.Start();
        a.PingAsync(VictimIp, 56);
        a.PingAsync(VictimIp, 3000);
        a.PingAsync(VictimIp, 1472);
        using var udp = a.OpenUdp(5000);
        udp.SendTo("hello, fuzz"u8, VictimIp, OpenUdpPort);
        udp.SendTo(new byte[2000], VictimIp, OpenUdpPort);
        udp.SendTo("closed"u8, VictimIp, 9);
        sim.Loop.RunUntil(Instant.FromSeconds(2));

        // IPv6: duplicate address detection, MLDv2 and router solicitations, then neighbour discovery, pings small
        // and fragmented, UDP to open and closed ports.
        a.EnableIpv6(a.Interfaces[0], new Ipv6Cidr(SenderIp6, 64));
        b.EnableIpv6(b.Interfaces[0], new Ipv6Cidr(VictimIp6, 64));
        sim.Loop.RunUntil(Instant.FromSeconds(4));
        a.PingAsync(VictimIp6, 56);
        a.PingAsync(VictimIp6, 3000);
        udp.SendTo("hello, fuzz6"u8, VictimIp6, OpenUdpPort);
        udp.SendTo("closed6"u8, VictimIp6, 9);
        sim.Loop.RunUntil(Instant.FromSeconds(6));

        var corpus = sink.Frames;
        corpus.Add(TcpSegmentFrame(TcpFlags.Syn, withOptions: true));
        corpus.Add(TcpSegmentFrame(TcpFlags.Ack | TcpFlags.Psh, withOptions: false, payload: 100));
        corpus.Add(TcpSegmentFrame(TcpFlags.Fin | TcpFlags.Ack, withOptions: true));
        corpus.Add(TcpSegmentFrame(TcpFlags.Rst, withOptions: false));
        return corpus;
    }

    /// <summary>A TCP segment from the sender to the victim's open TCP port, with MSS, window scale,
    /// SACK-permitted, timestamps and a SACK block when <paramref name="withOptions"/>.</summary>
    public static byte[] TcpSegmentFrame(TcpFlags flags, bool withOptions, int payload = 0)
    {
        byte[] options = withOptions
            ? [2, 4, 0x05, 0xB4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 5, 10, 0, 0, 1, 0, 0, 0, 2, 0]
            : [];
        int tcpLength = TcpSegment.MinHeaderLength + options.Length + payload;
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + tcpLength];
        EthernetFrame.WriteHeader(frame, VictimMac, SenderMac, EtherType.Ipv4);
        var ip = frame.AsSpan(EthernetFrame.HeaderLength);
        var tcp = ip[Ipv4Packet.MinHeaderLength..];
        options.CopyTo(tcp[TcpSegment.MinHeaderLength..]);
        for (int i = 0; i < payload; i++) tcp[TcpSegment.MinHeaderLength + options.Length + i] = (byte)i;
        TcpSegment.WriteHeader(tcp, new TcpHeader(40000, OpenTcpPort, 0xFFFF_FF00, flags.HasFlag(TcpFlags.Ack) ? 1000u : 0u,
            flags, 65535, TcpSegment.MinHeaderLength + options.Length), SenderIp, VictimIp);
        Ipv4Packet.WriteHeader(ip, new Ipv4Header(SenderIp, VictimIp, IpProtocol.Tcp,
            Ipv4Packet.MinHeaderLength + tcpLength, 1));
        return frame;
    }

    /// <summary>Adds the frames of a capture file (classic pcap or pcapng) that are Ethernet/IPv4, IPv6 or ARP. Throws
    /// <see cref="FormatException"/> (one line, with the byte offset for a damaged classic pcap) when the file is
    /// not a readable capture; see <see cref="Trace.CaptureFileReader"/>.</summary>
    public static int AddCapture(List<byte[]> corpus, string path)
    {
        int added = 0;
        foreach (var data in Trace.CaptureFileReader.ReadFrames(path))
        {
            if (data.Length < EthernetFrame.HeaderLength) continue;
            var type = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(12));
            if (type is not ((ushort)EtherType.Ipv4 or (ushort)EtherType.Arp or (ushort)EtherType.Ipv6)) continue;
            corpus.Add(data);
            added++;
        }
        return added;
    }

    /// <summary>Keeps the frames the sender put on the wire (they are the ones the victim receives).</summary>
    private sealed class FrameCollector : IFrameSink
    {
        public List<byte[]> Frames { get; } = new();

        public void Write(Instant time, ReadOnlySpan<byte> frame, in FrameContext context)
        {
            if (context.Host == "a") Frames.Add(frame.ToArray());
        }
    }
}
