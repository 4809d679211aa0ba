using FluentAssertions;
using Netstack.Tests.Protocols;
using Netstack.Wire;
using NUnit.Framework;
using Pdn = PacketDotNet;

namespace Netstack.Tests.Wire;

/// <summary>The IPv4 header codec against PacketDotNet, fragments included.</summary>
public class Ipv4CodecTests
{
    private static Ipv4Header RandomHeader(Random r, int payloadLength)
    {
        bool fragment = r.Next(3) == 0;
        return new Ipv4Header(
            new Ipv4Address((uint)r.NextInt64()), new Ipv4Address((uint)r.NextInt64()),
            (IpProtocol)r.Next(256), Ipv4Packet.MinHeaderLength + payloadLength, (ushort)r.Next(65536),
            (byte)r.Next(256), DontFragment: !fragment && r.Next(2) == 0, MoreFragments: fragment && r.Next(2) == 0,
            FragmentOffset: fragment ? r.Next(0, 8000) * 8 : 0, TypeOfService: (byte)r.Next(256));
    }

    [Test]
    public void Headers_we_write_decode_in_PacketDotNet_with_the_same_fields_and_a_valid_checksum()
    {
        var random = new Random(20);
        for (int i = 0; i < 500; i++)
        {
            int payloadLength = random.Next(0, 1480);
            var h = RandomHeader(random, payloadLength);
            var bytes = new byte[h.TotalLength];
            random.NextBytes(bytes.AsSpan(Ipv4Packet.MinHeaderLength));
            Ipv4Packet.WriteHeader(bytes, h);

            var theirs = new Pdn.IPv4Packet(new Pdn.Utils.ByteArraySegment(bytes));
            theirs.Version.Should().Be(Pdn.IPVersion.IPv4);
            theirs.HeaderLength.Should().Be(5, "PacketDotNet counts 32-bit words");
            theirs.TotalLength.Should().Be(h.TotalLength);
            theirs.Id.Should().Be(h.Identification);
            theirs.TimeToLive.Should().Be(h.TimeToLive);
            theirs.TypeOfService.Should().Be(h.TypeOfService);
            ((byte)theirs.Protocol).Should().Be((byte)h.Protocol);
            theirs.SourceAddress.ToOurs().Should().Be(h.Source);
            theirs.DestinationAddress.ToOurs().Should().Be(h.Destination);
            theirs.FragmentFlags.Should().Be((h.DontFragment ? 2 : 0) | (h.MoreFragments ? 1 : 0));
            (theirs.FragmentOffset * 8).Should().Be(h.FragmentOffset);
            theirs.ValidIPChecksum.Should().BeTrue();
            theirs.Checksum.Should().Be(theirs.CalculateIPChecksum());
            ((int)theirs.PayloadLength).Should().Be(payloadLength);
            theirs.HeaderData.Should().Equal(bytes[..Ipv4Packet.MinHeaderLength]);

            // And our own view reads back what we wrote.
            var ours = new Ipv4Packet(bytes);
            ours.Validate().Should().Be(h.FragmentOffset + payloadLength > 65515 ? Ipv4Malformation.FragmentTooLarge : Ipv4Malformation.None);
            ours.FragmentOffset.Should().Be(h.FragmentOffset);
            ours.MoreFragments.Should().Be(h.MoreFragments);
            ours.DontFragment.Should().Be(h.DontFragment);
        }
    }

    [Test]
    public void Datagrams_PacketDotNet_builds_parse_with_our_view_to_the_same_fields()
    {
        var random = new Random(21);
        for (int i = 0; i < 500; i++)
        {
            var payload = new byte[random.Next(0, 1480)];
            random.NextBytes(payload);
            bool mf = random.Next(2) == 0;
            int offset = random.Next(0, 4000) * 8;
            var source = new Ipv4Address((uint)random.NextInt64());
            var destination = new Ipv4Address((uint)random.NextInt64());
            var protocol = (IpProtocol)random.Next(256);
            ushort id = (ushort)random.Next(65536);
            byte ttl = (byte)random.Next(1, 256);
            var frame = TestFrames.Ipv4(MacAddress.Zero, MacAddress.Zero, source, destination, protocol, payload, id, ttl,
                moreFragments: mf, fragmentOffsetBytes: offset);

            var ours = new Ipv4Packet(frame.AsSpan(EthernetFrame.HeaderLength));
            ours.Validate().Should().Be(Ipv4Malformation.None);
            ours.Version.Should().Be(4);
            ours.HeaderLength.Should().Be(20);
            ours.TotalLength.Should().Be(20 + payload.Length);
            ours.Identification.Should().Be(id);
            ours.TimeToLive.Should().Be(ttl);
            ours.Protocol.Should().Be(protocol);
            ours.Source.Should().Be(source);
            ours.Destination.Should().Be(destination);
            ours.MoreFragments.Should().Be(mf);
            ours.FragmentOffset.Should().Be(offset);
            ours.IsFragment.Should().Be(mf || offset != 0);
            ours.Payload.ToArray().Should().Equal(payload);
        }
    }

    [Test]
    public void Random_IPv4_packets_from_PacketDotNet_agree_with_our_view()
    {
        int checkedCount = 0;
        for (int i = 0; i < 300; i++)
        {
            var theirs = Pdn.IPv4Packet.RandomPacket();
            theirs.UpdateCalculatedValues();
            theirs.UpdateIPChecksum();
            var bytes = theirs.Bytes;
            var ours = new Ipv4Packet(bytes);
            if (ours.Validate() != Ipv4Malformation.None) continue;
            checkedCount++;
            ours.Source.Should().Be(theirs.SourceAddress.ToOurs());
            ours.Destination.Should().Be(theirs.DestinationAddress.ToOurs());
            ours.TotalLength.Should().Be(theirs.TotalLength);
            ours.HeaderLength.Should().Be(theirs.HeaderLength * 4);
            ours.Identification.Should().Be(theirs.Id);
            ours.TimeToLive.Should().Be((byte)theirs.TimeToLive);
            ((byte)ours.Protocol).Should().Be((byte)theirs.Protocol);
        }
        checkedCount.Should().BeGreaterThan(100);
    }

    [Test]
    public void Headers_with_options_are_validated_and_their_payload_starts_after_the_options()
    {
        var random = new Random(22);
        for (int words = 5; words <= 15; words++)
        {
            var bytes = new byte[words * 4 + 30];
            random.NextBytes(bytes);
            Ipv4Packet.WriteHeader(bytes, new Ipv4Header(new Ipv4Address(1), new Ipv4Address(2), IpProtocol.Udp, bytes.Length, 7));
            bytes[0] = (byte)(0x40 | words);
            bytes[10] = bytes[11] = 0;
            ushort c = ReferenceChecksum.Compute(bytes.AsSpan(0, words * 4));
            bytes[10] = (byte)(c >> 8);
            bytes[11] = (byte)c;
            var ours = new Ipv4Packet(bytes);
            ours.Validate().Should().Be(Ipv4Malformation.None);
            ours.Options.Length.Should().Be(words * 4 - 20);
            ours.Payload.Length.Should().Be(30);
            var theirs = new Pdn.IPv4Packet(new Pdn.Utils.ByteArraySegment(bytes));
            theirs.ValidIPChecksum.Should().BeTrue();
            theirs.HeaderLength.Should().Be(words);
        }
    }

    [Test]
    public void Every_malformation_is_counted_under_its_own_drop_reason()
    {
        var malformations = Enum.GetValues<Ipv4Malformation>().Where(m => m != Ipv4Malformation.None).ToList();
        var reasons = malformations.Select(Netstack.Network.Ipv4.DropReasonFor).ToList();
        reasons.Should().OnlyHaveUniqueItems();
        for (int i = 0; i < malformations.Count; i++)
            reasons[i].ToString().Should().Be("Ipv4" + malformations[i]);
    }

    [TestCase(20, 65504, 8, Ipv4Malformation.None)]                // ends at 65,512: 20 + 65,512 fits
    [TestCase(24, 65504, 8, Ipv4Malformation.FragmentTooLarge)]    // options here are in the first header too: 65,536
    [TestCase(60, 65480, 8, Ipv4Malformation.FragmentTooLarge)]    // 65,548, though 20 + 65,488 would fit
    [TestCase(60, 65464, 0, Ipv4Malformation.None)]
    public void A_fragment_is_too_large_by_its_own_header_not_an_assumed_20_bytes(int ihl, int offset, int payload, Ipv4Malformation expected)
    {
        var b = new byte[ihl + payload];
        b[0] = (byte)(0x40 | ihl / 4);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)b.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6), (ushort)(offset / 8));
        b[8] = 64;
        b.AsSpan(20, ihl - 20).Fill(1);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(10), ReferenceChecksum.Compute(b.AsSpan(0, ihl)));

        new Ipv4Packet(b).Validate().Should().Be(expected);
    }
}
