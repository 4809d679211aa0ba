using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Tests.Protocols;
using Netstack.Wire;
using NUnit.Framework;
using Pdn = PacketDotNet;

namespace Netstack.Tests.Wire;

/// <summary>The ICMPv4 codec against PacketDotNet: echo messages and errors quoting a datagram.</summary>
public class IcmpCodecTests
{
    private static readonly (IcmpType Type, byte Code)[] Kinds =
    [
        (IcmpType.EchoRequest, 0), (IcmpType.EchoReply, 0),
        (IcmpType.DestinationUnreachable, 0), (IcmpType.DestinationUnreachable, 1), (IcmpType.DestinationUnreachable, 2),
        (IcmpType.DestinationUnreachable, 3), (IcmpType.DestinationUnreachable, 4),
        (IcmpType.TimeExceeded, 0), (IcmpType.TimeExceeded, 1), (IcmpType.ParameterProblem, 0),
    ];

    [Test]
    public void Messages_we_write_decode_in_PacketDotNet_with_the_same_fields_and_a_valid_checksum()
    {
        var random = new Random(30);
        for (int i = 0; i < 400; i++)
        {
            var (type, code) = Kinds[random.Next(Kinds.Length)];
            var message = new byte[IcmpPacket.HeaderLength + random.Next(0, 1500)];
            random.NextBytes(message);
            ushort word1 = (ushort)random.Next(65536), word2 = (ushort)random.Next(65536);
            IcmpPacket.WriteHeaderAndChecksum(message, type, code, word1, word2);

            var theirs = new Pdn.IcmpV4Packet(new Pdn.Utils.ByteArraySegment(message));
            ((ushort)theirs.TypeCode).Should().Be((ushort)((byte)type << 8 | code));
            theirs.Id.Should().Be(word1);
            theirs.Sequence.Should().Be(word2);
            theirs.ValidIcmpChecksum.Should().BeTrue();
            theirs.Checksum.Should().Be(ReferenceChecksum.Compute(Zeroed(message)));
            theirs.Data.Should().Equal(message[IcmpPacket.HeaderLength..]);

            var ours = new IcmpPacket(message);
            ours.IsChecksumValid.Should().BeTrue();
            ours.Type.Should().Be(type);
            ours.Code.Should().Be(code);
        }
    }

    private static byte[] Zeroed(byte[] message)
    {
        var copy = (byte[])message.Clone();
        copy[2] = copy[3] = 0;
        return copy;
    }

    [Test]
    public void Messages_PacketDotNet_checksums_parse_with_our_view_to_the_same_fields()
    {
        var random = new Random(31);
        for (int i = 0; i < 400; i++)
        {
            var (type, code) = Kinds[random.Next(Kinds.Length)];
            var message = new byte[IcmpPacket.HeaderLength + random.Next(0, 1500)];
            random.NextBytes(message);
            message[0] = (byte)type;
            message[1] = code;
            var theirs = new Pdn.IcmpV4Packet(new Pdn.Utils.ByteArraySegment(message));
            theirs.UpdateIcmpChecksum();
            var bytes = theirs.Bytes;

            var ours = new IcmpPacket(bytes);
            ours.IsComplete.Should().BeTrue();
            ours.IsChecksumValid.Should().BeTrue();
            ours.Checksum.Should().Be(theirs.Checksum);
            ours.Type.Should().Be(type);
            ours.Code.Should().Be(code);
            ours.Identifier.Should().Be(theirs.Id);
            ours.SequenceNumber.Should().Be(theirs.Sequence);
            ours.Data.ToArray().Should().Equal(theirs.Data);
            ours.IsError.Should().Be(type is not (IcmpType.EchoRequest or IcmpType.EchoReply));
            if (type == IcmpType.DestinationUnreachable && code == 4)
                ours.NextHopMtu.Should().Be(BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(6)));

            bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            new IcmpPacket(bytes).IsChecksumValid.Should().BeFalse();
        }
    }

    [Test]
    public void Echo_request_inside_a_frame_decodes_end_to_end_in_PacketDotNet()
    {
        var data = TestFrames.Pattern(56);
        var frame = TracedHost.FromPeer(IpProtocol.Icmp, TestFrames.Echo(IcmpType.EchoRequest, 0x1234, 9, data));
        var icmp = Pdn.Packet.ParsePacket(Pdn.LinkLayers.Ethernet, frame).Extract<Pdn.IcmpV4Packet>();
        icmp.TypeCode.Should().Be(Pdn.IcmpV4TypeCode.EchoRequest);
        icmp.Id.Should().Be(0x1234);
        icmp.Sequence.Should().Be(9);
        icmp.ValidIcmpChecksum.Should().BeTrue();
    }
}
