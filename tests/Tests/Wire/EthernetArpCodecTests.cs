using FluentAssertions;
using Netstack.Tests.Protocols;
using Netstack.Wire;
using NUnit.Framework;
using Pdn = PacketDotNet;

namespace Netstack.Tests.Wire;

/// <summary>Ethernet and ARP codecs against PacketDotNet, in both directions, on seeded random values.</summary>
public class EthernetArpCodecTests
{
    private static MacAddress RandomMac(Random r) => new((ulong)r.NextInt64() & 0xFFFF_FFFF_FFFFUL);
    private static Ipv4Address RandomIp(Random r) => new((uint)r.NextInt64());

    [Test]
    public void Frames_we_build_decode_in_PacketDotNet_with_the_same_fields()
    {
        var random = new Random(10);
        for (int i = 0; i < 300; i++)
        {
            var source = RandomMac(random);
            var destination = RandomMac(random);
            var op = random.Next(2) == 0 ? ArpOperation.Request : ArpOperation.Reply;
            var arp = new ArpPacket(op, source, RandomIp(random), RandomMac(random), RandomIp(random));
            var frame = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
            EthernetFrame.WriteHeader(frame, destination, source, EtherType.Arp);
            arp.Write(frame.AsSpan(EthernetFrame.HeaderLength));

            var eth = (Pdn.EthernetPacket)Pdn.Packet.ParsePacket(Pdn.LinkLayers.Ethernet, frame);
            eth.SourceHardwareAddress.ToMac().Should().Be(source);
            eth.DestinationHardwareAddress.ToMac().Should().Be(destination);
            eth.Type.Should().Be(Pdn.EthernetType.Arp);
            var theirs = eth.Extract<Pdn.ArpPacket>();
            theirs.Should().NotBeNull();
            theirs.Operation.Should().Be((Pdn.ArpOperation)op);
            theirs.HardwareAddressType.Should().Be(Pdn.LinkLayers.Ethernet);
            theirs.ProtocolAddressType.Should().Be(Pdn.EthernetType.IPv4);
            theirs.SenderHardwareAddress.ToMac().Should().Be(arp.SenderHardware);
            theirs.SenderProtocolAddress.ToOurs().Should().Be(arp.SenderProtocol);
            theirs.TargetHardwareAddress.ToMac().Should().Be(arp.TargetHardware);
            theirs.TargetProtocolAddress.ToOurs().Should().Be(arp.TargetProtocol);
        }
    }

    [Test]
    public void Frames_PacketDotNet_builds_parse_with_our_views_to_the_same_fields()
    {
        var random = new Random(11);
        for (int i = 0; i < 300; i++)
        {
            var op = random.Next(2) == 0 ? ArpOperation.Request : ArpOperation.Reply;
            var senderMac = RandomMac(random);
            var senderIp = RandomIp(random);
            var targetMac = RandomMac(random);
            var targetIp = RandomIp(random);
            var ethernetDestination = RandomMac(random);
            var bytes = TestFrames.Arp(op, senderMac, senderIp, targetMac, targetIp, ethernetDestination);

            var frame = new EthernetFrame(bytes);
            frame.IsComplete.Should().BeTrue();
            frame.Destination.Should().Be(ethernetDestination);
            frame.Source.Should().Be(senderMac);
            frame.EtherType.Should().Be(EtherType.Arp);
            ArpPacket.TryParse(frame.Payload, out var arp).Should().BeTrue();
            arp.Should().Be(new ArpPacket(op, senderMac, senderIp, targetMac, targetIp));
        }
    }

    [Test]
    public void Random_ethernet_frames_from_PacketDotNet_agree_on_addresses_and_type()
    {
        for (int i = 0; i < 200; i++)
        {
            var theirs = Pdn.EthernetPacket.RandomPacket();
            var bytes = theirs.Bytes;
            var ours = new EthernetFrame(bytes);
            ours.IsComplete.Should().BeTrue();
            ours.Source.Should().Be(theirs.SourceHardwareAddress.ToMac());
            ours.Destination.Should().Be(theirs.DestinationHardwareAddress.ToMac());
            ((ushort)ours.EtherType).Should().Be((ushort)theirs.Type);
            ours.Payload.Length.Should().Be(bytes.Length - 14);
        }
    }

    [Test]
    public void Arp_parser_rejects_what_is_not_ethernet_ipv4_arp([Values(0, 2, 4, 5, 6)] int corruptedByte)
    {
        var bytes = TestFrames.Arp(ArpOperation.Request, MacAddress.Parse("02:00:00:00:00:01"), Ipv4Address.Parse("192.0.2.1"),
            MacAddress.Zero, Ipv4Address.Parse("192.0.2.2"))[EthernetFrame.HeaderLength..];
        ArpPacket.TryParse(bytes, out _).Should().BeTrue();
        bytes[corruptedByte + (corruptedByte == 6 ? 1 : 0)] ^= 0x40;
        ArpPacket.TryParse(bytes, out _).Should().BeFalse();
    }

    [Test]
    public void Arp_parser_rejects_every_truncation()
    {
        var bytes = TestFrames.Arp(ArpOperation.Reply, MacAddress.Parse("02:00:00:00:00:01"), Ipv4Address.Parse("192.0.2.1"),
            MacAddress.Parse("02:00:00:00:00:02"), Ipv4Address.Parse("192.0.2.2"))[EthernetFrame.HeaderLength..];
        for (int n = 0; n < ArpPacket.Length; n++)
            ArpPacket.TryParse(bytes.AsSpan(0, n), out _).Should().BeFalse($"{n} bytes");
        ArpPacket.TryParse(bytes.AsSpan(0, ArpPacket.Length), out _).Should().BeTrue();
    }
}
