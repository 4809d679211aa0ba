using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Tests.Protocols;
using Netstack.Tests.Protocols.Ipv6;
using Netstack.Wire;
using NUnit.Framework;
using PacketDotNet;
using PacketDotNet.Utils;

namespace Netstack.Tests.Wire;

/// <summary>The IPv6 codecs against PacketDotNet both ways (random fields), against the reference checksum, and at
/// every truncation length; every ICMPv6 message type we send decodes in PacketDotNet with the same type, code, field
/// and a valid checksum, and its parse of extension-header chains finds the same headers as our walk.</summary>
public class Ipv6CodecTests
{
    private static Ipv6Address RandomAddress(Random r) => new((ulong)r.NextInt64() ^ ((ulong)r.Next() << 63), (ulong)r.NextInt64());

    [Test]
    public void Addresses_parse_and_print_as_the_bcl_does()
    {
        var r = new Random(61);
        for (int i = 0; i < 500; i++)
        {
            var a = RandomAddress(r);
            var text = a.ToSystem().ToString();
            Ipv6Address.Parse(text).Should().Be(a);
            a.ToString().Should().Be(text);
            Ipv6Address.FromSystem(System.Net.IPAddress.Parse(text)).Should().Be(a);
        }
        Ipv6Address.TryParse("192.0.2.1", out _).Should().BeFalse("IPv4 text is not an IPv6 address");
        Ipv6Address.TryParse("2001:db8::1::2", out _).Should().BeFalse();
        Ipv6Cidr.Parse("2001:db8::10/64").Network.Should().Be(Ipv6Address.Parse("2001:db8::"));
        Ipv6Cidr.TryParse("2001:db8::/129", out _).Should().BeFalse();
    }

    [Test]
    public void Derived_addresses_match_rfc_4291_and_rfc_2464()
    {
        var a = Ipv6Address.Parse("2001:db8::abcd:1234");
        a.SolicitedNodeMulticast.Should().Be(Ipv6Address.Parse("ff02::1:ffcd:1234"));
        a.SolicitedNodeMulticast.MulticastMac.Should().Be(MacAddress.Parse("33:33:ff:cd:12:34"));
        Ipv6Address.LinkLocalFromMac(MacAddress.Parse("52:54:00:12:34:56")).Should().Be(Ipv6Address.Parse("fe80::5054:ff:fe12:3456"));
        Ipv6Address.Parse("fe80::1").IsLinkLocal.Should().BeTrue();
        Ipv6Address.Parse("fec0::1").IsLinkLocal.Should().BeFalse();
        Ipv6Address.Parse("ff02::1").MulticastScope.Should().Be(2);
        ((IpAddress)Ipv4Address.Parse("192.0.2.1")).ToString().Should().Be("192.0.2.1");
        IpAddress.FromSystem(System.Net.IPAddress.Parse("::ffff:192.0.2.1")).IsIpv4.Should().BeTrue();
        IpAddress.FromSystem(System.Net.IPAddress.Parse("2001:db8::1")).Ipv6.Should().Be(Ipv6Address.Parse("2001:db8::1"));
    }

    [Test]
    public void Our_fixed_header_reads_what_packetdotnet_writes()
    {
        var r = new Random(62);
        for (int i = 0; i < 300; i++)
        {
            var payload = new byte[r.Next(0, 200)];
            r.NextBytes(payload);
            var pdn = new IPv6Packet(RandomAddress(r).ToSystem(), RandomAddress(r).ToSystem())
            {
                TrafficClass = r.Next(256),
                FlowLabel = r.Next(1 << 20),
                HopLimit = r.Next(256),
                NextHeader = (ProtocolType)r.Next(256),
                PayloadData = payload,
            };
            pdn.PayloadLength = (ushort)payload.Length;
            var bytes = pdn.Bytes;
            var ours = new Ipv6Packet(bytes);
            ours.Validate().Should().Be(Ipv6Malformation.None);
            (ours.TrafficClass, ours.FlowLabel, ours.HopLimit, (int)ours.NextHeader, ours.PayloadLength)
                .Should().Be(((byte)pdn.TrafficClass, pdn.FlowLabel, (byte)pdn.HopLimit, (int)pdn.NextHeader, payload.Length));
            ours.Source.Should().Be(pdn.SourceAddress.ToOurs6());
            ours.Destination.Should().Be(pdn.DestinationAddress.ToOurs6());
            ours.Payload.ToArray().Should().Equal(payload);
        }
    }

    [Test]
    public void Packetdotnet_reads_the_fixed_header_we_write()
    {
        var r = new Random(63);
        for (int i = 0; i < 300; i++)
        {
            var h = new Ipv6Header(RandomAddress(r), RandomAddress(r), IpProtocol.Udp, r.Next(0, 100), (byte)r.Next(256),
                (byte)r.Next(256), r.Next(1 << 20));
            var bytes = new byte[40 + h.PayloadLength];
            Ipv6Packet.WriteHeader(bytes, h);
            var pdn = new IPv6Packet(new ByteArraySegment(bytes));
            pdn.Version.Should().Be(IPVersion.IPv6);
            (pdn.SourceAddress.ToOurs6(), pdn.DestinationAddress.ToOurs6()).Should().Be((h.Source, h.Destination));
            ((byte)pdn.TrafficClass, pdn.FlowLabel, (byte)pdn.HopLimit, (int)pdn.PayloadLength)
                .Should().Be((h.TrafficClass, h.FlowLabel, h.HopLimit, h.PayloadLength));
            pdn.NextHeader.Should().Be(ProtocolType.Udp);
        }
    }

    [Test]
    public void Packetdotnet_reads_the_fragment_header_we_write()
    {
        var r = new Random(64);
        for (int i = 0; i < 200; i++)
        {
            int offset = r.Next(0, 8191) * 8;
            bool more = r.Next(2) == 1;
            uint id = (uint)r.NextInt64(uint.MaxValue);
            var bytes = new byte[40 + 8 + 16];
            Ipv6Packet.WriteHeader(bytes, new Ipv6Header(RandomAddress(r), RandomAddress(r), IpProtocol.Ipv6Fragment, 24));
            Ipv6FragmentHeader.Write(bytes.AsSpan(40), IpProtocol.Udp, offset, more, id);
            var pdn = new IPv6Packet(new ByteArraySegment(bytes));
            var header = pdn.ExtensionHeaders.Should().ContainSingle().Which.Should().BeOfType<IPv6FragmentationExtensionHeader>().Subject;
            header.NextHeader.Should().Be(ProtocolType.Udp);
            (header.FragmentOffset * 8, header.More).Should().Be((offset, more));
            var ours = new Ipv6FragmentHeader(bytes.AsSpan(40));
            (ours.FragmentOffset, ours.MoreFragments, ours.Identification, ours.NextHeader).Should().Be((offset, more, id, IpProtocol.Udp));
            BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(44)).Should().Be(id);
        }
    }

    [Test]
    public void The_ipv6_pseudo_header_checksum_agrees_with_the_reference_and_packetdotnet()
    {
        var r = new Random(65);
        for (int i = 0; i < 300; i++)
        {
            var source = RandomAddress(r);
            var destination = RandomAddress(r);
            var message = new byte[8 + r.Next(0, 1500)];
            r.NextBytes(message);
            message[0] = 128;
            Icmpv6Packet.WriteChecksum(message, source, destination);
            ReferenceChecksum.Transport(source.Bytes(), destination.Bytes(), 58, message).Should().Be(0);
            new Icmpv6Packet(message).IsChecksumValid(source, destination).Should().BeTrue();

            var frame = Ipv6Frames.Packet(Ipv6Host.PeerMac, Ipv6Host.Mac, source, destination, 58, message);
            Packet.ParsePacket(LinkLayers.Ethernet, frame).Extract<IcmpV6Packet>().ValidIcmpChecksum.Should().BeTrue();

            var udp = new byte[8 + r.Next(0, 1000)];
            r.NextBytes(udp);
            UdpDatagram.WriteHeader(udp, 1, 2, source, destination);
            ReferenceChecksum.Transport(source.Bytes(), destination.Bytes(), 17, udp).Should().Be(0);
            new TcpSegment(message).IsChecksumValid((IpAddress)source, destination).Should().BeFalse("protocol 6 is in the sum");
        }
    }

    private static T Parse<T>(byte[] icmpv6) where T : Packet
    {
        Icmpv6Packet.WriteChecksum(icmpv6, Ipv6Host.PeerIp, Ipv6Host.Ip);
        var frame = Ipv6Frames.Packet(Ipv6Host.PeerMac, Ipv6Host.Mac, Ipv6Host.PeerIp, Ipv6Host.Ip, 58, icmpv6, 255);
        return Packet.ParsePacket(LinkLayers.Ethernet, frame).Extract<T>() ?? throw new AssertionException($"no {typeof(T).Name}");
    }

    [Test]
    public void Packetdotnet_reads_the_neighbor_messages_we_write()
    {
        var target = Ipv6Address.Parse("2001:db8::77");
        var mac = MacAddress.Parse("02:11:22:33:44:55");
        var message = new byte[32];
        Ndp.WriteNeighborMessage(message, Icmpv6Type.NeighborAdvertisement, Ndp.SolicitedFlag | Ndp.OverrideFlag, target);
        NdpOption.WriteLinkLayerAddress(message.AsSpan(24), NdpOptionType.TargetLinkLayerAddress, mac);
        message[0] = (byte)Icmpv6Type.NeighborAdvertisement;
        var na = Parse<NdpNeighborAdvertisementPacket>(message);
        (na.Solicited, na.Override, na.Router).Should().Be((true, true, false));
        na.TargetAddress.ToOurs6().Should().Be(target);

        Ndp.WriteNeighborMessage(message, Icmpv6Type.NeighborSolicitation, 0, target);
        Parse<NdpNeighborSolicitationPacket>(message).TargetAddress.ToOurs6().Should().Be(target);
        NdpOptionReader.TryFindLinkLayerAddress(message.AsSpan(24), NdpOptionType.TargetLinkLayerAddress, out var read).Should().BeTrue();
        read.Should().Be(mac);

        var ra = new byte[16 + 32 + 8];
        Ndp.WriteRouterAdvertisement(ra, 64, 1800, 30000, 1000);
        NdpOption.WritePrefixInformation(ra.AsSpan(16), Ipv6Address.Parse("2001:db8:1::"), 64, true, true, 86400, 14400);
        NdpOption.WriteMtu(ra.AsSpan(48), 1400);
        var pdn = Parse<NdpRouterAdvertisementPacket>(ra);
        (pdn.CurrentHopLimit, pdn.RouterLifetime, pdn.ReachableTime, pdn.RetransmitTimer).Should().Be(((byte)64, (ushort)1800, 30000u, 1000u));
        var reader = new NdpOptionReader(ra.AsSpan(16));
        reader.TryNext(out var prefix).Should().BeTrue();
        (prefix.Type, prefix.PrefixLength, prefix.OnLink, prefix.Autonomous, prefix.ValidLifetime, prefix.PreferredLifetime)
            .Should().Be((NdpOptionType.PrefixInformation, 64, true, true, 86400u, 14400u));
        prefix.Prefix.Should().Be(Ipv6Address.Parse("2001:db8:1::"));
        reader.TryNext(out var mtu).Should().BeTrue();
        mtu.Mtu.Should().Be(1400u);
        reader.TryNext(out _).Should().BeFalse();
        reader.IsMalformed.Should().BeFalse();
    }

    [Test]
    public void Our_option_readers_read_what_the_reference_builders_write()
    {
        var header = Ipv6Frames.OptionsHeader(58, [0x1E, 3, 1, 2, 3], [5, 2, 0, 0]);
        var reader = new Ipv6OptionReader(header);
        var types = new List<(byte, int)>();
        while (reader.TryNext(out var o)) types.Add((o.Type, o.DataLength));
        reader.IsMalformed.Should().BeFalse();
        types.Should().StartWith([(0x1E, 3), (5, 2)]);
        types.Skip(2).Should().OnlyContain(t => t.Item1 == 0 || t.Item1 == 1, "the rest is padding");
        new Ipv6Option(0x9E, 0, 0).UnknownAction.Should().Be(Ipv6UnknownOptionAction.DiscardAndReport);
        new Ipv6Option(0xDE, 0, 0).UnknownAction.Should().Be(Ipv6UnknownOptionAction.DiscardAndReportUnlessMulticast);
    }

    [Test]
    public void Every_truncation_of_valid_ipv6_frames_is_dropped_and_counted_without_throwing()
    {
        var host = new Ipv6Host(Ipv6Host.Quiet);
        host.LearnPeer();
        using var udp = host.Stack.OpenUdp(7);
        using var tcp = host.Stack.ListenTcp(80);
        var frames = new List<byte[]>
        {
            Ipv6Host.FromPeer(58, Ipv6Frames.Echo(Ipv6Host.PeerIp, Ipv6Host.Ip, 1, 1, TestFrames.Pattern(40))),
            Ipv6Host.FromPeer(17, Ipv6Frames.Udp(Ipv6Host.PeerIp, Ipv6Host.Ip, 5, 7, TestFrames.Pattern(30))),
            Ipv6Host.FromPeer(0, Ipv6Frames.Concat(Ipv6Frames.OptionsHeader(60, [1, 0]), Ipv6Frames.OptionsHeader(58, [0x1E, 0]),
                Ipv6Frames.Echo(Ipv6Host.PeerIp, Ipv6Host.Ip, 1, 2, [1, 2]))),
            Ipv6Host.FromPeer(44, Ipv6Frames.Concat(Ipv6Frames.FragmentHeader(58, 0, true, 9), new byte[64])),
            Ipv6Host.FromPeer(58, Ipv6Frames.Solicitation(Ipv6Host.PeerIp, Ipv6Host.Ip, Ipv6Host.Ip, Ipv6Host.PeerMac), hopLimit: 255),
            Ipv6Host.FromPeer(58, Ipv6Frames.RouterAdvertisement(Ipv6Host.RouterLinkLocal, 64, 100,
                Ipv6Frames.PrefixOption(Ipv6Address.Parse("2001:db8:7::"), 64, true, true, 100, 50), Ipv6Frames.MtuOption(1400)),
                source: Ipv6Host.RouterLinkLocal, hopLimit: 255),
        };
        var counters = host.Stack.Counters;
        foreach (var frame in frames)
        {
            int headerEnd = 14 + 40;
            for (int length = 0; length < frame.Length; length++)
            {
                var cut = frame[..length];
                // Keep Payload Length consistent with the cut for lengths past the fixed header, so the walk itself
                // meets the truncation (otherwise the fixed header's check catches every cut).
                if (length >= headerEnd) BinaryPrimitives.WriteUInt16BigEndian(cut.AsSpan(18), (ushort)(length - headerEnd));
                long dropped = counters.TotalDropped, delivered = counters.Ipv6Delivered, queued = counters.Ipv6FragmentsQueued;
                var feed = () => host.Feed(cut);
                feed.Should().NotThrow($"frame cut to {length} bytes");
                (counters.TotalDropped - dropped + counters.Ipv6Delivered - delivered + counters.Ipv6FragmentsQueued - queued)
                    .Should().BeGreaterThan(0, $"a frame cut to {length} bytes is accounted for");
            }
        }
        host.TakeSent();
        host.RunUntil(Netstack.Time.Instant.FromSeconds(120));
        host.Stack.Buffers.Outstanding.Should().Be(0);
        host.Stack.Ipv6.Reassembler.BytesHeld.Should().Be(0);
    }

    private static readonly (Icmpv6Type Type, byte Code)[] Kinds =
    [
        (Icmpv6Type.EchoRequest, 0), (Icmpv6Type.EchoReply, 0),
        (Icmpv6Type.DestinationUnreachable, 0), (Icmpv6Type.DestinationUnreachable, 1), (Icmpv6Type.DestinationUnreachable, 3),
        (Icmpv6Type.DestinationUnreachable, 4), (Icmpv6Type.PacketTooBig, 0), (Icmpv6Type.TimeExceeded, 0),
        (Icmpv6Type.TimeExceeded, 1), (Icmpv6Type.ParameterProblem, 0), (Icmpv6Type.ParameterProblem, 1),
        (Icmpv6Type.ParameterProblem, 2),
    ];

    [Test]
    public void Packetdotnet_reads_every_icmpv6_message_we_write_with_the_same_fields_and_a_valid_checksum()
    {
        var r = new Random(160);
        for (int i = 0; i < 400; i++)
        {
            var (type, code) = Kinds[r.Next(Kinds.Length)];
            uint field = (uint)r.NextInt64(uint.MaxValue);
            var message = new byte[Icmpv6Packet.HeaderLength + r.Next(0, 1232)];
            r.NextBytes(message);
            Icmpv6Packet.WriteHeaderAndChecksum(message, type, code, field, Ipv6Host.PeerIp, Ipv6Host.Ip);
            var frame = Ipv6Frames.Packet(Ipv6Host.PeerMac, Ipv6Host.Mac, Ipv6Host.PeerIp, Ipv6Host.Ip, 58, message);

            var theirs = Packet.ParsePacket(LinkLayers.Ethernet, frame).Extract<IcmpV6Packet>();
            theirs.Should().NotBeNull();
            ((byte)theirs!.Type, theirs.Code, theirs.ValidIcmpChecksum).Should().Be(((byte)type, (byte)code, true));
            var ours = new Icmpv6Packet(message);
            theirs.Checksum.Should().Be(ours.Checksum);
            // The 4-byte field (identifier and sequence, MTU, pointer) follows the checksum in both views.
            System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(theirs.Bytes.AsSpan(4)).Should().Be(field);
            (ours.Mtu, ours.Pointer, ours.Identifier, ours.SequenceNumber)
                .Should().Be((field, field, (ushort)(field >> 16), (ushort)field));
            ours.IsError.Should().Be(type < Icmpv6Type.EchoRequest);
            ours.Data.ToArray().Should().Equal(theirs.Bytes.AsSpan(Icmpv6Packet.HeaderLength).ToArray());
        }
    }

    [Test]
    public void Packetdotnet_and_our_walk_agree_on_random_extension_header_chains()
    {
        var r = new Random(162);
        for (int i = 0; i < 300; i++)
        {
            // Hop-by-hop only first (RFC 8200 §4.1), then destination options, routing (type 2 or 4, nothing left to
            // visit) and atomic fragment headers in any order, then an echo request.
            var kinds = new List<IpProtocol>();
            if (r.Next(2) == 0) kinds.Add(IpProtocol.Ipv6HopByHop);
            int more = r.Next(0, 6);
            for (int k = 0; k < more; k++)
                kinds.Add(r.Next(3) switch
                {
                    0 => IpProtocol.Ipv6DestinationOptions,
                    1 => IpProtocol.Ipv6Routing,
                    _ => IpProtocol.Ipv6Fragment,
                });
            var parts = new List<byte[]>();
            for (int k = 0; k < kinds.Count; k++)
            {
                byte next = k + 1 < kinds.Count ? (byte)kinds[k + 1] : (byte)58;
                parts.Add(kinds[k] switch
                {
                    IpProtocol.Ipv6Fragment => Ipv6Frames.FragmentHeader(next, 0, false, (uint)r.Next()),
                    IpProtocol.Ipv6Routing => RoutingHeader(r, next),
                    _ => Ipv6Frames.OptionsHeader(next, RandomOptions(r)),
                });
            }
            var echo = Ipv6Frames.Echo(Ipv6Host.PeerIp, Ipv6Host.Ip, (ushort)i, 1, new byte[r.Next(0, 64)]);
            parts.Add(echo);
            byte first = kinds.Count > 0 ? (byte)kinds[0] : (byte)58;
            var frame = Ipv6Frames.Packet(Ipv6Host.PeerMac, Ipv6Host.Mac, Ipv6Host.PeerIp, Ipv6Host.Ip, first, Ipv6Frames.Concat([.. parts]));

            var theirs = Ipv6Frames.Ipv6Of(frame);
            var theirChain = theirs.ExtensionHeaders.Select(h => ((byte)h.Header, (int)h.Length)).ToList();
            var ourChain = new List<(byte, int)>();
            var payload = frame.AsSpan(EthernetFrame.HeaderLength + Ipv6Packet.HeaderLength);
            var header = (IpProtocol)first;
            while (Ipv6ExtensionHeaders.IsExtensionHeader(header))
            {
                int length = Ipv6ExtensionHeaders.LengthOf(header, payload);
                length.Should().BeInRange(8, payload.Length);
                ourChain.Add(((byte)header, length));
                header = (IpProtocol)payload[0];
                payload = payload[length..];
            }
            ourChain.Should().Equal(theirChain, $"chain {string.Join(",", kinds)}");
            header.Should().Be(IpProtocol.Icmpv6);
            payload.ToArray().Should().Equal(echo);
        }
    }

    // PacketDotNet 1.4.8 sizes a destination options or routing header as Hdr Ext Len × 8 bytes (a 16-byte header is
    // read as 8, and its second half as another header), so the chains compared with it are of 8-byte headers; longer
    // headers are walked in our own trace tests and by the fuzzer.
    private static byte[] RoutingHeader(Random r, byte next)
    {
        int units = 0;
        var h = new byte[8 * (units + 1)];
        h[0] = next;
        h[1] = (byte)units;
        h[2] = (byte)(r.Next(2) == 0 ? 2 : 4);
        h[3] = 0; // segments left
        for (int i = 8; i < h.Length; i++) h[i] = (byte)r.Next(256);
        return h;
    }

    private static byte[][] RandomOptions(Random r)
    {
        int n = r.Next(0, 2);
        var options = new byte[n][];
        for (int i = 0; i < n; i++)
        {
            var o = new byte[2 + r.Next(0, 3)]; // with the 2-byte header and padding, within 8 bytes
            o[0] = 0x1E; // skippable, unknown
            o[1] = (byte)(o.Length - 2);
            options[i] = o;
        }
        return options;
    }
}
