using System.Buffers.Binary;
using Netstack.Link;
using Netstack.Wire;

namespace Netstack.Drivers.Tap;

/// <summary>Receive coalescing for the tap (what Linux's GRO does for a NIC): consecutive in-order TCP/IPv4
/// segments of one flow, read in one drain of the device, are joined into one large segment before the stack sees
/// them, so the stack runs once and acknowledges once per batch instead of every second segment. Every segment's
/// IPv4 header and TCP checksums are verified before it is joined (a corrupt one is handed on as it came, for the
/// stack to drop and count), and the joined frame carries correct checksums (recorders see a valid frame, as
/// tcpdump sees Linux's GRO frames). Segments join only when nothing but the payload differs, as in Linux's
/// tcp_gro_receive: same addresses, ports, ACK, window, TTL, TOS, flags ACK (PSH ends a run) and identical TCP
/// options. Anything else — another flow, IPv6, a SYN/FIN/RST, a fragment, IP options — flushes the run and is
/// handed on unchanged, so order is kept.</summary>
internal sealed class TcpSegmentCoalescer
{
    private const int EthernetHeader = EthernetFrame.HeaderLength;
    private const int IpHeader = Ipv4Packet.MinHeaderLength;
    private const int TcpChecksumOffset = 16;
    private const int IpChecksumOffset = 10;

    // The run being built: headers of its first segment, then the payloads of all of its segments.
    private readonly byte[] _run = new byte[EthernetHeader + Ipv4Packet.MaxTotalLength];
    private int _headerLength; // Ethernet + IPv4 + TCP of the run's first segment
    private int _runLength; // bytes of _run in use
    private int _segments;
    private ulong _payloadSum; // ones'-complement partial sum of the run's payload, aligned to its start
    private uint _nextSequence;
    private bool _pushed;

    /// <summary>Segments joined into another (a run of n segments counts n - 1).</summary>
    public long SegmentsJoined { get; private set; }

    /// <summary>Takes one frame read from the device: joins it to the current run, or hands the run and then the
    /// frame (or a new run started by it) on to <paramref name="receiver"/>.</summary>
    public void Add(ReadOnlySpan<byte> frame, IFrameReceiver receiver)
    {
        if (!IsJoinable(frame, out int tcpHeaderLength))
        {
            Flush(receiver);
            receiver.ReceiveFrame(frame);
            return;
        }
        int header = EthernetHeader + IpHeader + tcpHeaderLength;
        var payload = frame[header..];
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(frame[(EthernetHeader + IpHeader + 4)..]);
        if (_segments > 0 && (!Continues(frame, header, sequence) || _runLength + payload.Length > _run.Length))
            Flush(receiver);
        if (_segments == 0)
        {
            frame[..header].CopyTo(_run);
            _headerLength = header;
            _runLength = header;
            _payloadSum = 0;
        }
        // Copied and summed in one pass: the sum verifies this segment and, aligned, adds to the run's sum.
        ulong sum = Checksum.CopyAndAccumulate(0, payload, _run.AsSpan(_runLength));
        if (!IsValid(frame, tcpHeaderLength, sum))
        {
            Flush(receiver);
            receiver.ReceiveFrame(frame); // the stack counts the bad checksum
            return;
        }
        // A payload starting at an odd offset of the run adds its sum byte-swapped.
        _payloadSum += ((_runLength - _headerLength) & 1) == 0 ? sum : Checksum.AtOddOffset(sum);
        _runLength += payload.Length;
        _nextSequence = sequence + (uint)payload.Length;
        _pushed = (frame[EthernetHeader + IpHeader + 13] & (byte)TcpFlags.Psh) != 0;
        if (_segments++ > 0) SegmentsJoined++;
        if (_pushed) Flush(receiver); // PSH: the sender wants it delivered now, as GRO flushes on it
    }

    /// <summary>Hands the current run, if any, on: called when the device has nothing more to read.</summary>
    public void Flush(IFrameReceiver receiver)
    {
        if (_segments == 0) return;
        var run = _run.AsSpan(0, _runLength);
        if (_segments > 1) Rewrite(run);
        _segments = 0;
        // Every segment's checksum was verified above and the joined frame's are computed from verified sums.
        receiver.ReceiveFrame(run, true);
    }

    /// <summary>A TCP/IPv4 segment with payload and only ACK (and PSH) set, no IP options, not a fragment, whose
    /// lengths agree with the frame (no Ethernet padding) and whose IPv4 header checksum is valid.</summary>
    private static bool IsJoinable(ReadOnlySpan<byte> frame, out int tcpHeaderLength)
    {
        tcpHeaderLength = 0;
        if (frame.Length < EthernetHeader + IpHeader + TcpSegment.MinHeaderLength) return false;
        if (BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != (ushort)EtherType.Ipv4) return false;
        var ip = frame[EthernetHeader..];
        if (ip[0] != 0x45 || ip[9] != (byte)IpProtocol.Tcp) return false;
        if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3FFF) != 0) return false; // MF or an offset
        if (BinaryPrimitives.ReadUInt16BigEndian(ip[2..]) != ip.Length) return false;
        if (!Checksum.IsValid(Checksum.Accumulate(0, ip[..IpHeader]))) return false;
        var tcp = ip[IpHeader..];
        tcpHeaderLength = (tcp[12] >> 4) * 4;
        if (tcpHeaderLength < TcpSegment.MinHeaderLength || tcpHeaderLength >= tcp.Length) return false;
        return (tcp[13] & ~(byte)TcpFlags.Psh) == (byte)TcpFlags.Ack;
    }

    /// <summary>The segment carries on the run: the next sequence number, and headers equal to the run's first
    /// segment but for the IP identification and checksum, the sequence number, the PSH flag and the TCP
    /// checksum.</summary>
    private bool Continues(ReadOnlySpan<byte> frame, int header, uint sequence)
    {
        if (_pushed || header != _headerLength || sequence != _nextSequence) return false;
        var first = _run.AsSpan(0, header);
        const int ip = EthernetHeader, tcp = EthernetHeader + IpHeader;
        return frame[..(ip + 2)].SequenceEqual(first[..(ip + 2)]) // Ethernet, version, TOS
               && frame.Slice(ip + 6, 4).SequenceEqual(first.Slice(ip + 6, 4)) // flags/offset, TTL, protocol
               && frame.Slice(ip + 12, 8 + 4).SequenceEqual(first.Slice(ip + 12, 8 + 4)) // addresses, ports
               && frame.Slice(tcp + 8, 5).SequenceEqual(first.Slice(tcp + 8, 5)) // ACK, data offset
               && frame.Slice(tcp + 14, 2).SequenceEqual(first.Slice(tcp + 14, 2)) // window
               && frame[(tcp + 18)..header].SequenceEqual(first[(tcp + 18)..]) // urgent pointer, options
               && (frame[tcp + 13] & ~(byte)TcpFlags.Psh) == (first[tcp + 13] & ~(byte)TcpFlags.Psh);
    }

    /// <summary>The TCP checksum over the pseudo-header, the TCP header and the payload (summed as
    /// <paramref name="payloadSum"/>) is valid.</summary>
    private static bool IsValid(ReadOnlySpan<byte> frame, int tcpHeaderLength, ulong payloadSum)
    {
        var ip = frame[EthernetHeader..];
        int tcpLength = ip.Length - IpHeader;
        ulong sum = PseudoHeader(ip, tcpLength) + Checksum.Accumulate(0, ip.Slice(IpHeader, tcpHeaderLength)) + payloadSum;
        return Checksum.IsValid(sum);
    }

    /// <summary>Makes the run's headers those of one segment carrying the whole payload: IPv4 total length and
    /// header checksum, PSH if the last segment had it, and the TCP checksum.</summary>
    private void Rewrite(Span<byte> run)
    {
        var ip = run[EthernetHeader..];
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)ip.Length);
        BinaryPrimitives.WriteUInt16BigEndian(ip[IpChecksumOffset..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(ip[IpChecksumOffset..], Checksum.Compute(ip[..IpHeader]));
        var tcp = ip[IpHeader..];
        if (_pushed) tcp[13] |= (byte)TcpFlags.Psh;
        int tcpHeaderLength = _headerLength - EthernetHeader - IpHeader;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[TcpChecksumOffset..], 0);
        ulong sum = PseudoHeader(ip, tcp.Length) + Checksum.Accumulate(0, tcp[..tcpHeaderLength]) + _payloadSum;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[TcpChecksumOffset..], Checksum.Fold(sum));
    }

    private static ulong PseudoHeader(ReadOnlySpan<byte> ip, int tcpLength) =>
        Checksum.PseudoHeader(Ipv4Address.Read(ip[12..]), Ipv4Address.Read(ip[16..]), (byte)IpProtocol.Tcp, tcpLength);
}
