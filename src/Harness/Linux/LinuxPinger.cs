using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Netstack.Api;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Linux;

/// <summary>Echo requests from the host the Linux kernel plays, sent on a raw ICMP socket in its namespace (as
/// ping(8) does), with results in the same form as our stack's ping API: replies, unreachables and time
/// exceeded matched by identifier and sequence, timeouts from the loop's clock.</summary>
public sealed class LinuxPinger
{
    private readonly Socket _socket;
    private readonly IScheduler _loop;
    private readonly ushort _identifier;
    private readonly Dictionary<ushort, Outstanding> _outstanding = new();
    private ushort _sequence;

    private sealed class Outstanding(Ipv4Address destination, Instant sentAt, int size)
    {
        public Ipv4Address Destination { get; } = destination;
        public Instant SentAt { get; } = sentAt;
        public int Size { get; } = size;
        public ScheduledTimer? Timeout;
    }

    public LinuxPinger(LinuxPeer peer, IScheduler loop, ushort identifier)
    {
        _loop = loop;
        _identifier = identifier;
        _socket = peer.OpenSocket(SocketType.Raw, ProtocolType.Icmp);
        _ = ReceiveLoopAsync();
    }

    public List<PingResult> Results { get; } = new();

    public void Send(Ipv4Address destination, int size, Duration timeout, byte? timeToLive, bool dontFragment)
    {
        ushort sequence = ++_sequence;
        var packet = new byte[8 + size];
        packet[0] = 8; // echo request
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), _identifier);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), sequence);
        for (int i = 0; i < size; i++) packet[8 + i] = (byte)i;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), Checksum.Compute(packet));
        _socket.Ttl = timeToLive ?? 64;
        _socket.DontFragment = dontFragment;
        var pending = new Outstanding(destination, _loop.Now, size);
        pending.Timeout = new ScheduledTimer(_loop, () => Complete(sequence, new PingResult(PingStatus.TimedOut, destination, sequence)));
        pending.Timeout.Arm(_loop.Now + timeout);
        _outstanding[sequence] = pending;
        _socket.SendTo(packet, new IPEndPoint(destination.ToSystem(), 0));
    }

    private void Complete(ushort sequence, PingResult reply)
    {
        if (!_outstanding.Remove(sequence, out var pending)) return;
        pending.Timeout?.Cancel();
        Results.Add(reply);
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                int n = await _socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                var packet = buffer[..n];
                _loop.Post(() => Receive(packet));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The run ended and the namespace (and socket) went with it.
        }
    }

    /// <summary>A raw ICMP socket delivers whole IP datagrams, every ICMP message the host receives: keep ours.</summary>
    private void Receive(byte[] datagram)
    {
        if (datagram.Length < 20) return;
        int ipHeader = (datagram[0] & 0x0F) * 4;
        if (datagram.Length < ipHeader + 8) return;
        var from = Ipv4Address.Read(datagram.AsSpan(12));
        byte ttl = datagram[8];
        var icmp = datagram.AsSpan(ipHeader);
        byte type = icmp[0], code = icmp[1];
        if (type == 0)
        {
            if (BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]) != _identifier) return;
            ushort sequence = BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]);
            if (!_outstanding.TryGetValue(sequence, out var pending)) return;
            var rtt = _loop.Now - pending.SentAt;
            Complete(sequence, new PingResult(PingStatus.Success, pending.Destination, sequence, rtt, from, ttl, icmp.Length - 8));
            return;
        }
        if (type is not (3 or 11) || icmp.Length < 8 + 20 + 8) return;
        // An error quotes the IP header and first 8 bytes of our echo request.
        var quoted = icmp[8..];
        int quotedHeader = (quoted[0] & 0x0F) * 4;
        if (quoted.Length < quotedHeader + 8 || quoted[9] != 1) return;
        var echo = quoted[quotedHeader..];
        if (echo[0] != 8 || BinaryPrimitives.ReadUInt16BigEndian(echo[4..]) != _identifier) return;
        ushort seq = BinaryPrimitives.ReadUInt16BigEndian(echo[6..]);
        if (!_outstanding.TryGetValue(seq, out var p)) return;
        var status = type == 11 ? PingStatus.TimeExceeded
            : code == 4 ? PingStatus.TooBig
            : PingStatus.DestinationUnreachable;
        Complete(seq, new PingResult(status, p.Destination, seq, default, from, 0, 0, code));
    }
}
