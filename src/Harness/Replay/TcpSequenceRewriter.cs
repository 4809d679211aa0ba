using System.Buffers.Binary;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>Makes the injected side of a TCP conversation follow our stack instead of the captured one
/// (as tcpliveplay does): the peer's acknowledgment numbers are shifted from the captured endpoint's ISN to
/// ours, and its timestamp echoes from the captured endpoint's clock to ours; checksums are recomputed.</summary>
public sealed class TcpSequenceRewriter(ReplayRole role)
{
    private readonly Dictionary<(uint, ushort, ushort), (uint CapturedIsn, uint CapturedTs)> _captured = new();
    private readonly Dictionary<(uint, ushort, ushort), (uint OurIsn, uint OurTs)> _ours = new();

    private static (uint, ushort, ushort) KeyOfOurs(ReplayFrame f) => (f.IpDestination, f.DestinationPort, f.SourcePort);

    /// <summary>Learns the captured endpoint's ISN and first timestamp from its SYN (or SYN-ACK).</summary>
    public void LearnCaptured(ReplayFrame f)
    {
        if (f.IsTcp && f.Has(ReplayFrame.Syn)) _captured.TryAdd(KeyOfOurs(f), (f.Seq, f.TsVal));
    }

    /// <summary>The captured endpoint's ISN and timestamp clock for a connection whose handshake the capture
    /// lacks (see <see cref="MidstreamStart"/>).</summary>
    public void SetCaptured(uint peer, ushort peerPort, ushort ourPort, uint isn, uint tsVal) =>
        _captured[(peer, peerPort, ourPort)] = (isn, tsVal);

    /// <summary>Learns our ISN and first timestamp from the SYN (or SYN-ACK) our stack sent.</summary>
    public void LearnOurs(ReplayFrame f)
    {
        if (f.IsTcp && f.Has(ReplayFrame.Syn)) _ours[KeyOfOurs(f)] = (f.Seq, f.TsVal);
    }

    /// <summary>The frame to inject for a captured peer frame (a copy when anything changed).</summary>
    public byte[] Rewrite(ReplayFrame f)
    {
        var bytes = f.Bytes;
        if (role.OurMac != role.CapturedMac && f.EthDestination == role.CapturedMac)
        {
            bytes = (byte[])bytes.Clone();
            MacAddress.Parse(role.OurMac).Write(bytes);
        }
        if (!f.IsTcp) return bytes;
        var key = (f.IpSource, f.SourcePort, f.DestinationPort);
        if (!_captured.TryGetValue(key, out var captured) || !_ours.TryGetValue(key, out var ours)) return bytes;
        if (ReferenceEquals(bytes, f.Bytes)) bytes = (byte[])bytes.Clone();
        var tcp = bytes.AsSpan(f.L4Offset, f.L4Length);
        if (f.Has(ReplayFrame.AckFlag))
            BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], unchecked(f.Ack - captured.CapturedIsn + ours.OurIsn));
        if (f.TimestampOffset >= 0 && f.TsEcr != 0 && ours.OurTs != 0)
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(f.TimestampOffset + 4), unchecked(f.TsEcr - captured.CapturedTs + ours.OurTs));
        tcp[16] = 0;
        tcp[17] = 0;
        ulong sum = Checksum.PseudoHeader(new Ipv4Address(f.IpSource), new Ipv4Address(f.IpDestination), 6, f.L4Length);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], Checksum.Fold(Checksum.Accumulate(sum, tcp)));
        return bytes;
    }
}
