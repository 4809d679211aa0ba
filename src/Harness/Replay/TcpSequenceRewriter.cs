using System.Buffers.Binary;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>Makes the injected side of a TCP conversation follow our stack instead of the captured one
/// (as tcpliveplay does): the peer's acknowledgment numbers are shifted from the captured endpoint's ISN to
/// ours, and its timestamp echoes from the captured endpoint's clock to ours; checksums are recomputed.</summary>
public sealed class TcpSequenceRewriter(ReplayRole role)
{
    private readonly Dictionary<(IpAddress, ushort, ushort), (uint CapturedIsn, uint CapturedTs)> _captured = new();
    private readonly Dictionary<(IpAddress, ushort, ushort), (uint OurIsn, uint OurTs)> _ours = new();

    private static (IpAddress, ushort, ushort) KeyOfOurs(ReplayFrame f) => (f.IpDestination, f.DestinationPort, f.SourcePort);

    /// <summary>Learns the captured endpoint's ISN and first timestamp from its SYN (or SYN-ACK).</summary>
    public void LearnCaptured(ReplayFrame f)
    {
        if (f.IsTcp && f.Has(ReplayFrame.Syn)) _captured.TryAdd(KeyOfOurs(f), (f.Seq, f.TsVal));
    }

    /// <summary>The captured endpoint's ISN and timestamp clock for a connection whose handshake the capture
    /// lacks (see <see cref="MidstreamStart"/>).</summary>
    public void SetCaptured(IpAddress peer, ushort peerPort, ushort ourPort, uint isn, uint tsVal) =>
        _captured[(peer, peerPort, ourPort)] = (isn, tsVal);

    /// <summary>Learns our ISN and first timestamp from the SYN (or SYN-ACK) our stack sent.</summary>
    public void LearnOurs(ReplayFrame f)
    {
        if (!f.IsTcp) return;
        if (f.Has(ReplayFrame.Syn)) _ours[KeyOfOurs(f)] = (f.Seq, f.TsVal);
        uint end = unchecked(f.Seq + (uint)f.TcpPayloadLength + (f.Has(ReplayFrame.Syn) ? 1u : 0) + (f.Has(ReplayFrame.Fin) ? 1u : 0));
        if (!_sentUpTo.TryGetValue(KeyOfOurs(f), out var max) || (int)unchecked(end - max) > 0) _sentUpTo[KeyOfOurs(f)] = end;
    }

    /// <summary>How far our stack has sent on each connection: the peer cannot acknowledge beyond it. When our
    /// stack sends later than the captured endpoint did (the sending role under loss), the captured peer
    /// acknowledged data ours has not sent yet; such an ACK is cut back to what ours sent, so it still clocks
    /// our stack out instead of being dropped as acknowledging the future.</summary>
    private readonly Dictionary<(IpAddress, ushort, ushort), uint> _sentUpTo = new();

    /// <summary>SACK blocks name our sequence numbers too: shifted like the ACK; a block beyond what our stack
    /// has sent is blanked (NOPs), as it would claim data ours never sent.</summary>
    private static void ShiftSackBlocks(Span<byte> options, uint shift, uint sentUpTo)
    {
        for (int i = 0; i < options.Length;)
        {
            byte kind = options[i];
            if (kind == 0) return;
            if (kind == 1) { i++; continue; }
            if (i + 1 >= options.Length || options[i + 1] < 2 || i + options[i + 1] > options.Length) return;
            int length = options[i + 1];
            if (kind == 5)
            {
                bool beyond = false;
                for (int b = i + 2; b + 8 <= i + length; b += 8)
                {
                    uint left = unchecked(BinaryPrimitives.ReadUInt32BigEndian(options[b..]) + shift);
                    uint right = unchecked(BinaryPrimitives.ReadUInt32BigEndian(options[(b + 4)..]) + shift);
                    BinaryPrimitives.WriteUInt32BigEndian(options[b..], left);
                    BinaryPrimitives.WriteUInt32BigEndian(options[(b + 4)..], right);
                    if ((int)unchecked(right - sentUpTo) > 0) beyond = true;
                }
                if (beyond) options.Slice(i, length).Fill(1);
            }
            i += length;
        }
    }

    /// <summary>Whether our endpoint has sent everything <paramref name="f"/> (a captured peer frame) acknowledges:
    /// on a real wire the endpoint answers later than the captured one did, and a peer segment acknowledging what it
    /// has not sent yet (a SYN-ACK before its SYN) would be refused. True for frames without an acknowledgment and
    /// for connections whose captured ISN is unknown.</summary>
    public bool Covers(ReplayFrame f)
    {
        if (!f.IsTcp || !f.Has(ReplayFrame.AckFlag)) return true;
        var key = (f.IpSource, f.SourcePort, f.DestinationPort);
        if (!_captured.TryGetValue(key, out var captured)) return true;
        if (!_ours.TryGetValue(key, out var ours) || !_sentUpTo.TryGetValue(key, out var sent)) return false;
        return (long)unchecked(sent - ours.OurIsn) >= (long)unchecked(f.Ack - captured.CapturedIsn);
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
        {
            uint ack = unchecked(f.Ack - captured.CapturedIsn + ours.OurIsn);
            if (_sentUpTo.TryGetValue(key, out var sent) && (int)unchecked(ack - sent) > 0) ack = sent;
            BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], ack);
            ShiftSackBlocks(tcp[20..f.TcpHeaderLength], unchecked(ours.OurIsn - captured.CapturedIsn), _sentUpTo.GetValueOrDefault(key, ack));
        }
        if (f.TimestampOffset >= 0 && f.TsEcr != 0 && ours.OurTs != 0)
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(f.TimestampOffset + 4), unchecked(f.TsEcr - captured.CapturedTs + ours.OurTs));
        tcp[16] = 0;
        tcp[17] = 0;
        ulong sum = Checksum.PseudoHeader(f.IpSource, f.IpDestination, 6, f.L4Length);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], Checksum.Fold(Checksum.Accumulate(sum, tcp)));
        return bytes;
    }
}
