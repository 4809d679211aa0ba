using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Tests.Wire;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using static Netstack.Tests.Protocols.TracedHost;

namespace Netstack.Tests.Protocols;

/// <summary>Seeded random mutations of valid frames. An independent oracle (written here from the RFCs,
/// not from the stack) says whether each frame must be dropped and why; the stack must agree, count every
/// frame it receives, never throw, and give back every buffer once its timers have run.</summary>
public class MutatedFrameTests
{
    /// <summary>Reasons that mean "this frame is malformed or not for us": counted only when the oracle says so.</summary>
    private static readonly DropReason[] ValidationReasons =
    [
        DropReason.EthernetTruncated, DropReason.EthernetNotForUs, DropReason.EthernetUnknownType, DropReason.ArpMalformed,
        DropReason.Ipv4Truncated, DropReason.Ipv4BadVersion, DropReason.Ipv4BadHeaderLength, DropReason.Ipv4BadTotalLength,
        DropReason.Ipv4TotalLengthBeyondFrame, DropReason.Ipv4BadChecksum, DropReason.Ipv4FragmentTooLarge,
        DropReason.Ipv4NotForUs, DropReason.IcmpBadChecksum, DropReason.UdpMalformed, DropReason.UdpBadChecksum,
        DropReason.TcpMalformed, DropReason.TcpBadChecksum, DropReason.Ipv4InvalidSource, DropReason.ArpInvalidSenderMac,
    ];

    /// <summary>What the oracle expects the stack to count for <paramref name="f"/>: a validation drop, the
    /// unknown-protocol drop, or null when the frame is valid as far as the oracle looks.</summary>
    /// <summary>TCP (nothing listens in these tests): malformed header, bad checksum, broadcast,
    /// malformed options, else no connection.</summary>
    private static DropReason ExpectedTcp(ReadOnlySpan<byte> seg, byte[] source, byte[] destination, Ipv4Address to)
    {
        if (seg.Length < 20) return DropReason.TcpMalformed;
        int header = (seg[12] >> 4) * 4;
        if (header < 20 || header > seg.Length) return DropReason.TcpMalformed;
        if (ReferenceChecksum.Transport(source, destination, 6, seg) != 0) return DropReason.TcpBadChecksum;
        var from = Ipv4Address.Read(source);
        if (to != Ip || from.IsBroadcast || from.IsMulticast) return DropReason.TcpNoConnection;
        var options = seg[20..header];
        for (int i = 0; i < options.Length;)
        {
            if (options[i] == 0) break;
            if (options[i] == 1)
            {
                i++;
                continue;
            }
            if (i + 1 >= options.Length || options[i + 1] < 2 || i + options[i + 1] > options.Length) return DropReason.TcpMalformed;
            i += options[i + 1];
        }
        return DropReason.TcpNoConnection;
    }

    private static DropReason? Expected(byte[] f, out bool deliveredWhole, out bool fragment)
    {
        deliveredWhole = false;
        fragment = false;
        if (f.Length < 14) return DropReason.EthernetTruncated;
        var mac = MacAddress.Read(f);
        if (mac != Mac && mac != MacAddress.Broadcast) return DropReason.EthernetNotForUs;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12));
        var p = f.AsSpan(14);
        if (type == 0x0806)
        {
            if (p.Length < 28 || BinaryPrimitives.ReadUInt16BigEndian(p) != 1 || BinaryPrimitives.ReadUInt16BigEndian(p[2..]) != 0x0800 ||
                p[4] != 6 || p[5] != 4) return DropReason.ArpMalformed;
            ushort op = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
            if (op is not (1 or 2) || BinaryPrimitives.ReadUInt32BigEndian(p[14..]) == 0xFFFF_FFFF)
                return DropReason.ArpMalformed;
            var sender = MacAddress.Read(p[8..]);
            if ((p[8] & 1) != 0 || sender == MacAddress.Zero || sender == Mac) return DropReason.ArpInvalidSenderMac;
            return null;
        }
        if (type != 0x0800) return DropReason.EthernetUnknownType;
        if (p.Length < 20) return DropReason.Ipv4Truncated;
        if (p[0] >> 4 != 4) return DropReason.Ipv4BadVersion;
        int ihl = (p[0] & 15) * 4;
        if (ihl < 20) return DropReason.Ipv4BadHeaderLength;
        if (ihl > p.Length) return DropReason.Ipv4Truncated;
        int total = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
        if (total < ihl) return DropReason.Ipv4BadTotalLength;
        if (total > p.Length) return DropReason.Ipv4TotalLengthBeyondFrame;
        if (ReferenceChecksum.Compute(p[..ihl]) != 0) return DropReason.Ipv4BadChecksum;
        int flagsOffset = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
        int offset = (flagsOffset & 0x1FFF) * 8;
        if (offset + total > 65535) return DropReason.Ipv4FragmentTooLarge; // never smaller than the first header
        var destination = Ipv4Address.Read(p[16..]);
        if (destination != Ip && destination != Ipv4Address.Broadcast && destination != Ipv4Address.Parse("192.0.2.255"))
            return DropReason.Ipv4NotForUs;
        var source = Ipv4Address.Read(p[12..]);
        uint s = source.Value;
        if (s >> 24 is 0 or 127 || s >> 28 >= 0xE || source == Ip || source == Ipv4Address.Parse("192.0.2.255"))
            return DropReason.Ipv4InvalidSource; // RFC 1122 §3.2.1.3
        if ((flagsOffset & 0x2000) != 0 || offset != 0)
        {
            // A fragment: reassembly is not modelled here, so what a completed datagram meets is not checked.
            fragment = true;
            return null;
        }
        var payload = p[ihl..total];
        switch (p[9])
        {
            case 1:
                deliveredWhole = true;
                if (payload.Length < 8) return DropReason.IcmpTruncated;
                if (ReferenceChecksum.Compute(payload) != 0) return DropReason.IcmpBadChecksum;
                return null;
            case 17:
                deliveredWhole = true;
                if (payload.Length < 8) return DropReason.UdpMalformed;
                int length = BinaryPrimitives.ReadUInt16BigEndian(payload[4..]);
                if (length < 8 || length > payload.Length) return DropReason.UdpMalformed;
                if (BinaryPrimitives.ReadUInt16BigEndian(payload[6..]) != 0 &&
                    ReferenceChecksum.Transport(p[12..16].ToArray(), p[16..20].ToArray(), 17, payload[..length]) != 0)
                    return DropReason.UdpBadChecksum;
                return null;
            case 6:
                deliveredWhole = true;
                return ExpectedTcp(payload, p[12..16].ToArray(), p[16..20].ToArray(), destination);
            default:
                return DropReason.Ipv4UnknownProtocol;
        }
    }

    private static List<byte[]> Seeds(TracedHost host)
    {
        var socket = host.Stack.OpenUdp(4000);
        socket.SendTo([1, 2, 3], PeerIp, 5000);
        var ourDatagram = host.TakeSent().Single().Bytes[14..];
        return
        [
            TestFrames.Arp(ArpOperation.Request, PeerMac, PeerIp, MacAddress.Zero, Ip),
            TestFrames.Arp(ArpOperation.Reply, OtherMac, OtherIp, Mac, Ip),
            FromPeer(IpProtocol.Icmp, TestFrames.Echo(IcmpType.EchoRequest, 1, 1, TestFrames.Pattern(40))),
            FromPeer(IpProtocol.Icmp, TestFrames.Echo(IcmpType.EchoReply, 1, 1, TestFrames.Pattern(8))),
            FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 4000, TestFrames.Pattern(30))),
            FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 9, TestFrames.Pattern(30))),
            FromPeer(IpProtocol.Icmp, TestFrames.IcmpMessage(IcmpType.DestinationUnreachable, 3, 0, ourDatagram[..28])),
            FromPeer(IpProtocol.Icmp, TestFrames.IcmpMessage(IcmpType.TimeExceeded, 0, 0, ourDatagram)),
            FromPeer(IpProtocol.Udp, TestFrames.Pattern(1480), id: 9, moreFragments: true),
            FromPeer(IpProtocol.Udp, TestFrames.Pattern(100), id: 9, fragmentOffset: 1480),
            FromPeer(IpProtocol.Tcp, TestFrames.Pattern(40)),
            FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ipv4Address.Broadcast, 5000, 4000, [1]),
                destination: Ipv4Address.Broadcast, destinationMac: MacAddress.Broadcast),
        ];
    }

    private static byte[] Mutate(byte[] seed, Random r)
    {
        var f = (byte[])seed.Clone();
        int ipStart = 14, ihl = f.Length > 14 ? (f[14] & 15) * 4 : 20;
        switch (r.Next(8))
        {
            case 0:
                for (int i = r.Next(1, 4); i > 0; i--) f[r.Next(f.Length)] ^= (byte)(1 << r.Next(8));
                return f;
            case 1:
                f[r.Next(f.Length)] = (byte)r.Next(256);
                return f;
            case 2:
                return f[..r.Next(f.Length)];
            case 3:
                var longer = new byte[f.Length + r.Next(1, 40)];
                r.NextBytes(longer);
                f.CopyTo(longer, 0);
                return longer;
            case 4 or 5:
                // An IP header field, with the checksum fixed so the frame gets further.
                if (f.Length < 34 || f[12] != 0x08 || f[13] != 0x00) return f;
                f[ipStart + r.Next(20)] = (byte)r.Next(256);
                FixIpChecksum(f);
                return f;
            default:
                // Inside the transport header, with its checksum fixed (ICMP, UDP) so the handlers see it.
                if (f.Length < 34 + 8 || f[12] != 0x08 || f[13] != 0x00 || ihl != 20) return f;
                f[34 + r.Next(Math.Min(16, f.Length - 34))] = (byte)r.Next(256);
                FixTransportChecksum(f);
                return f;
        }
    }

    private static void FixIpChecksum(byte[] f)
    {
        int ihl = Math.Min((f[14] & 15) * 4, f.Length - 14);
        f[24] = f[25] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(24), ReferenceChecksum.Compute(f.AsSpan(14, Math.Max(ihl, 12))));
    }

    private static void FixTransportChecksum(byte[] f)
    {
        var t = f.AsSpan(34);
        if (f[23] == 1)
        {
            t[2] = t[3] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(t[2..], ReferenceChecksum.Compute(t));
        }
        else if (f[23] == 17)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(t[4..]);
            if (length < 8 || length > t.Length) return;
            t[6] = t[7] = 0;
            ushort c = ReferenceChecksum.Transport(f[26..30], f[30..34], 17, t[..length]);
            BinaryPrimitives.WriteUInt16BigEndian(t[6..], c == 0 ? (ushort)0xFFFF : c);
        }
    }

    [Test]
    public void Twenty_thousand_mutated_frames_are_each_counted_as_the_oracle_says_and_none_throws()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var seeds = Seeds(host);
        var random = new Random(20260101);
        var counters = host.Stack.Counters;
        var outcomes = new Dictionary<string, int>();
        const int frames = 20_000;
        long receivedBefore = counters.FramesReceived;

        for (int i = 0; i < frames; i++)
        {
            var frame = Mutate(seeds[random.Next(seeds.Count)], random);
            var expected = Expected(frame, out bool deliveredWhole, out bool fragment);
            var before = Enum.GetValues<DropReason>().ToDictionary(r => r, counters.Dropped);
            long delivered = counters.Ipv4Delivered;
            string what = $"frame {i}: {Convert.ToHexString(frame)}";

            var act = () => host.FeedAt(host.Now + Duration.FromMicroseconds(1), frame);
            act.Should().NotThrow(what);

            if (expected is { } reason)
            {
                counters.Dropped(reason).Should().Be(before[reason] + 1, $"{what} should be dropped as {reason}");
                foreach (var other in ValidationReasons.Where(r => r != reason))
                    counters.Dropped(other).Should().Be(before[other], $"{what} is {reason}, not {other}");
            }
            else
            {
                foreach (var r in fragment ? ValidationReasons.Where(r => r < DropReason.IcmpTruncated) : ValidationReasons)
                    counters.Dropped(r).Should().Be(before[r], $"{what} is valid as far as the oracle looks, not {r}");
            }
            if (deliveredWhole && expected is not (DropReason.Ipv4UnknownProtocol))
                counters.Ipv4Delivered.Should().Be(delivered + 1, $"{what} is a whole datagram for us");
            var key = expected?.ToString() ?? (fragment ? "fragment" : "accepted");
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
        }

        counters.FramesReceived.Should().Be(receivedBefore + frames);
        TestContext.Out.WriteLine(string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key}={o.Value}")));
        outcomes.GetValueOrDefault("accepted").Should().BeGreaterThan(2000, "the fuzz must reach the protocol handlers");
        outcomes.Keys.Should().Contain(["Ipv4BadChecksum", "EthernetTruncated", "ArpMalformed", "UdpBadChecksum", "IcmpBadChecksum", "UdpMalformed"]);

        // Once every ARP resolution has given up and every reassembly timed out, nothing is held.
        host.RunFor(Duration.FromSeconds(120));
        host.Stack.Buffers.Outstanding.Should().Be(0);
        host.Stack.Ipv4.Reassembler.ActiveCount.Should().Be(0);
        host.Stack.Ipv4.Reassembler.BytesHeld.Should().Be(0);
    }

    /// <summary>Issue 18 #1: trains of fragments whose first carries 0–40 bytes of options and whose payload ends
    /// near 64 KiB, in random order. Each fragment passes on its own; the oracle says whether header plus payload
    /// fits 65,535, and the stack must reassemble exactly those and refuse the rest, never throwing.</summary>
    [Test]
    public void Fragment_trains_near_64_KiB_with_options_are_reassembled_only_when_they_fit()
    {
        var random = new Random(18);
        int refused = 0, reassembled = 0;
        for (int round = 0; round < 60; round++)
        {
            var host = new TracedHost();
            host.LearnPeer();
            host.Stack.OpenUdp(7);
            var protocol = random.Next(2) == 0 ? IpProtocol.Icmp : IpProtocol.Udp;
            int options = 4 * random.Next(11);
            int payload = 65_515 - random.Next(64);
            var frames = FragmentBombTraceTests.Fragments(protocol, FragmentBombTraceTests.Message(protocol, payload), options,
                (ushort)random.Next(65536));
            var order = frames.OrderBy(_ => random.Next()).ToList();
            bool fits = 20 + options + payload <= 65_535;
            string what = $"round {round}: {protocol}, {options} option bytes, {payload} payload bytes";

            foreach (var f in order)
            {
                var act = () => host.Feed(f);
                act.Should().NotThrow(what);
            }

            var c = host.Stack.Counters;
            c.DatagramsReassembled.Should().Be(fits ? 1 : 0, what);
            c.Dropped(DropReason.FragmentDatagramTooLarge).Should().Be(fits ? 0 : 1, what);
            c.Ipv4Delivered.Should().Be(fits ? 1 : 0, what);
            host.RunFor(Duration.FromSeconds(60));
            host.Stack.Ipv4.Reassembler.ActiveCount.Should().Be(0, what);
            host.Stack.Buffers.Outstanding.Should().Be(0, what);
            if (fits) reassembled++; else refused++;
        }
        TestContext.Out.WriteLine($"reassembled {reassembled}, refused {refused}");
        refused.Should().BeGreaterThan(10);
        reassembled.Should().BeGreaterThan(10);
    }
}
