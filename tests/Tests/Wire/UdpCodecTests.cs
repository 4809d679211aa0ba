using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Tests.Protocols;
using Netstack.Wire;
using NUnit.Framework;
using Pdn = PacketDotNet;

namespace Netstack.Tests.Wire;

/// <summary>The UDP codec against PacketDotNet, checksums over the pseudo-header included.</summary>
public class UdpCodecTests
{
    /// <summary>A datagram written by our codec inside an IPv4 packet written by our codec.</summary>
    private static byte[] OurDatagramInIp(Ipv4Address source, Ipv4Address destination, ushort sp, ushort dp, byte[] payload)
    {
        var bytes = new byte[Ipv4Packet.MinHeaderLength + UdpDatagram.HeaderLength + payload.Length];
        var udp = bytes.AsSpan(Ipv4Packet.MinHeaderLength);
        payload.CopyTo(udp[UdpDatagram.HeaderLength..]);
        UdpDatagram.WriteHeader(udp, sp, dp, source, destination);
        Ipv4Packet.WriteHeader(bytes, new Ipv4Header(source, destination, IpProtocol.Udp, bytes.Length, 1));
        return bytes;
    }

    [Test]
    public void Datagrams_we_write_decode_in_PacketDotNet_with_the_same_fields_and_a_valid_checksum()
    {
        var random = new Random(40);
        for (int i = 0; i < 400; i++)
        {
            var payload = new byte[random.Next(0, 1472)];
            random.NextBytes(payload);
            var source = new Ipv4Address((uint)random.NextInt64());
            var destination = new Ipv4Address((uint)random.NextInt64());
            ushort sp = (ushort)random.Next(65536), dp = (ushort)random.Next(65536);
            var bytes = OurDatagramInIp(source, destination, sp, dp, payload);

            var ip = new Pdn.IPv4Packet(new Pdn.Utils.ByteArraySegment(bytes));
            var theirs = ip.Extract<Pdn.UdpPacket>();
            theirs.Should().NotBeNull();
            theirs.SourcePort.Should().Be(sp);
            theirs.DestinationPort.Should().Be(dp);
            theirs.Length.Should().Be(UdpDatagram.HeaderLength + payload.Length);
            theirs.ValidUdpChecksum.Should().BeTrue();
            theirs.Checksum.Should().NotBe(0, "we always compute a checksum");
            theirs.PayloadData.Should().Equal(payload);
        }
    }

    [Test]
    public void A_checksum_that_computes_to_zero_is_sent_as_all_ones()
    {
        var source = Ipv4Address.Parse("192.0.2.1");
        var destination = Ipv4Address.Parse("192.0.2.2");
        var payload = TestFrames.Pattern(32);
        payload[30] = payload[31] = 0;
        // With the last payload word equal to the checksum computed while it was zero, the sum becomes
        // all ones and the checksum zero.
        var probe = OurDatagramInIp(source, destination, 1000, 2000, payload);
        ushort c = BinaryPrimitives.ReadUInt16BigEndian(probe.AsSpan(Ipv4Packet.MinHeaderLength + 6));
        payload[30] = (byte)(c >> 8);
        payload[31] = (byte)c;

        var bytes = OurDatagramInIp(source, destination, 1000, 2000, payload);
        var udp = bytes.AsSpan(Ipv4Packet.MinHeaderLength);
        new UdpDatagram(udp).Checksum.Should().Be(0xFFFF);
        new UdpDatagram(udp).IsChecksumValid(source, destination).Should().BeTrue();
        new Pdn.IPv4Packet(new Pdn.Utils.ByteArraySegment(bytes)).Extract<Pdn.UdpPacket>().ValidUdpChecksum.Should().BeTrue();
    }

    [Test]
    public void Datagrams_PacketDotNet_builds_parse_with_our_view_to_the_same_fields()
    {
        var random = new Random(41);
        for (int i = 0; i < 400; i++)
        {
            var payload = new byte[random.Next(0, 1472)];
            random.NextBytes(payload);
            var source = new Ipv4Address((uint)random.NextInt64());
            var destination = new Ipv4Address((uint)random.NextInt64());
            ushort sp = (ushort)random.Next(65536), dp = (ushort)random.Next(65536);
            var bytes = TestFrames.Udp(source, destination, sp, dp, payload);

            var ours = new UdpDatagram(bytes);
            ours.IsWellFormed.Should().BeTrue();
            ours.SourcePort.Should().Be(sp);
            ours.DestinationPort.Should().Be(dp);
            ours.Length.Should().Be(bytes.Length);
            ours.Payload.ToArray().Should().Equal(payload);
            ours.IsChecksumValid(source, destination).Should().BeTrue();
            ours.Checksum.Should().Be(ReferenceChecksumOf(bytes, source, destination));

            var wrongSource = new Ipv4Address(source.Value ^ 0x0100);
            ours.IsChecksumValid(wrongSource, destination).Should().BeFalse("the pseudo-header covers the addresses");
        }
    }

    private static ushort ReferenceChecksumOf(byte[] datagram, Ipv4Address source, Ipv4Address destination)
    {
        var copy = (byte[])datagram.Clone();
        copy[6] = copy[7] = 0;
        ushort c = ReferenceChecksum.Transport(source.Bytes(), destination.Bytes(), 17, copy);
        return c == 0 ? (ushort)0xFFFF : c;
    }

    [Test]
    public void Random_UDP_packets_from_PacketDotNet_agree_on_ports_and_length()
    {
        for (int i = 0; i < 200; i++)
        {
            var theirs = Pdn.UdpPacket.RandomPacket();
            var bytes = theirs.Bytes;
            var ours = new UdpDatagram(bytes);
            ours.SourcePort.Should().Be(theirs.SourcePort);
            ours.DestinationPort.Should().Be(theirs.DestinationPort);
            ours.Length.Should().Be(theirs.Length);
            ours.Checksum.Should().Be(theirs.Checksum);
        }
    }

    [Test]
    public void A_zero_checksum_means_none_and_is_accepted()
    {
        var bytes = TestFrames.Udp(new Ipv4Address(1), new Ipv4Address(2), 5, 6, TestFrames.Pattern(20));
        bytes[6] = bytes[7] = 0;
        new UdpDatagram(bytes).IsChecksumValid(new Ipv4Address(1), new Ipv4Address(2)).Should().BeTrue();
        bytes[6] = 1;
        new UdpDatagram(bytes).IsChecksumValid(new Ipv4Address(1), new Ipv4Address(2)).Should().BeFalse();
    }

    [Test]
    public void Length_fields_that_lie_are_not_well_formed()
    {
        var bytes = TestFrames.Udp(new Ipv4Address(1), new Ipv4Address(2), 5, 6, TestFrames.Pattern(20));
        for (int claimed = 0; claimed < 65536; claimed += claimed < 40 ? 1 : 997)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), (ushort)claimed);
            new UdpDatagram(bytes).IsWellFormed.Should().Be(claimed >= 8 && claimed <= bytes.Length, $"length {claimed}");
        }
        for (int n = 0; n < UdpDatagram.HeaderLength; n++)
            new UdpDatagram(bytes.AsSpan(0, n)).IsWellFormed.Should().BeFalse();
    }
}
