using System.Buffers.Binary;
using System.Net.Sockets;
using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Network;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>TCP for one stack: validates segments, hands them to the connection or listener they belong
/// to, answers the rest with resets (RFC 9293 §3.10.7.1), routes ICMP errors to connections, and owns
/// the resources connections share (ports, the ISN secret, the challenge-ACK budget).</summary>
public sealed partial class TcpProtocol : IIpProtocol
{
    private readonly NetworkStack _stack;
    private readonly StackCounters _counters;
    private readonly Dictionary<ConnectionKey, TcpConnection> _connections = new();
    private readonly Dictionary<ushort, TcpListenEndpoint> _listeners = new();
    // The connection the last segment went to: a bulk transfer's segments all do, and comparing a key is cheaper than
    // hashing one. Cleared when that connection leaves the table.
    private TcpConnection? _lastDelivered;
    private long _challengeSecond = -1;
    private int _challengeCount;

    internal TcpProtocol(NetworkStack stack)
    {
        _stack = stack;
        _counters = stack.Counters;
        Isn = new IsnGenerator(stack.Scheduler, stack.Random);
        Cookies = new SynCookies(Isn, stack.Scheduler);
    }

    /// <summary>The stack's initial-sequence-number source (RFC 6528), also the key for SYN cookies and timestamp
    /// offsets.</summary>
    public IsnGenerator Isn { get; }
    /// <summary>The SYN cookie encoder and checker used by full listeners.</summary>
    public SynCookies Cookies { get; }
    /// <summary>The stack's TCP tunables (NetworkStackOptions.Tcp).</summary>
    public TcpSettings Settings => _stack.Options.Tcp;
    /// <summary>Every connection with a control block, in any state but LISTEN.</summary>
    public IReadOnlyCollection<TcpConnection> Connections => _connections.Values;
    internal NetworkStack Stack => _stack;

    /// <summary>Finds the connection for a four-tuple; false when there is none.</summary>
    public bool TryGetConnection(ConnectionKey key, out TcpConnection connection) =>
        _connections.TryGetValue(key, out connection!);

    // ------------------------------------------------------------------ receive

    /// <summary>Validates one TCP segment (length, checksum) and delivers it to its connection or listener; anything
    /// else is answered with a RST (RFC 9293 §3.10.7.1) or dropped and counted, never thrown.</summary>
    public void Receive(Ipv4Packet packet, NetworkInterface iface)
    {
        var seg = new TcpSegment(packet.Payload);
        if (!seg.IsWellFormed)
        {
            _counters.Drop(DropReason.TcpMalformed);
            return;
        }
        if (!packet.TransportChecksumVerified && !seg.IsChecksumValid(packet.Source, packet.Destination))
        {
            _counters.Drop(DropReason.TcpBadChecksum);
            return;
        }
        // RFC 1122 §4.2.3.10: no TCP to or from broadcast or multicast addresses.
        if (iface.IsBroadcast(packet.Destination) || packet.Destination.IsMulticast || packet.Source.IsMulticast
            || packet.Source.IsBroadcast)
        {
            _counters.Drop(DropReason.TcpNoConnection);
            return;
        }
        Demultiplex(seg, packet.Destination, packet.Source);
    }

    /// <summary>Hands a validated segment of either family to its connection or listener.</summary>
    private void Demultiplex(in TcpSegment seg, IpAddress destination, IpAddress source)
    {
        if (!TcpHeaderOptions.TryParse(seg.Options, out var options))
        {
            _counters.Drop(DropReason.TcpMalformed);
            return;
        }
        var key = new ConnectionKey(destination, seg.DestinationPort, source, seg.SourcePort);
        var flags = seg.Flags;
        var connection = _lastDelivered;
        if ((connection is null || connection.Key != key) && _connections.TryGetValue(key, out connection))
            _lastDelivered = connection;
        if (connection is not null)
        {
            bool newSyn = (flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Syn;
            if (!(newSyn && _listeners.ContainsKey(key.LocalPort) && connection.AcceptsNewIncarnation(seg, options)))
            {
                connection.OnSegment(seg, options);
                return;
            }
            // RFC 6191: a clearly newer SYN ends TIME-WAIT and opens a new incarnation.
            connection.Terminate(SocketError.Success);
        }
        if (_listeners.TryGetValue(key.LocalPort, out var listener))
        {
            _counters.TcpSegmentsReceived++;
            listener.OnSegment(key, seg, options);
            return;
        }
        _counters.Drop(DropReason.TcpNoConnection);
        ResetUnexpected(key, seg);
    }

    /// <summary>RFC 9293 §3.10.7.1: a segment for no connection draws a reset, unless it is one.</summary>
    internal void ResetUnexpected(ConnectionKey key, in TcpSegment seg)
    {
        var flags = seg.Flags;
        if ((flags & TcpFlags.Rst) != 0) return;
        if ((flags & TcpFlags.Ack) != 0)
        {
            SendReset(key, seg.AcknowledgmentNumber, 0, false);
            return;
        }
        int len = seg.Payload.Length + ((flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((flags & TcpFlags.Fin) != 0 ? 1 : 0);
        SendReset(key, 0, unchecked(seg.SequenceNumber + (uint)len), true);
    }

    /// <summary>Delivers an ICMP error to the connection whose segment it quotes; one quoting too little or no
    /// connection is dropped and counted.</summary>
    public void ReceiveError(in IcmpErrorReport error)
    {
        var t = error.OriginalTransport;
        if (t.Length < 8)
        {
            _counters.Drop(DropReason.IcmpTruncated);
            return;
        }
        if (TryFindQuoted(error.OriginalSource, error.OriginalDestination, t, out var connection, out uint seq))
            connection.OnIcmpError(error, seq);
        else
            _counters.Drop(DropReason.IcmpErrorNoSocket);
    }

    /// <summary>The connection whose segment an ICMP error of either family quotes, found by the ports in the quote's
    /// first 8 bytes, and the quoted sequence number; false when there is no such connection.</summary>
    private bool TryFindQuoted(IpAddress originalSource, IpAddress originalDestination, ReadOnlySpan<byte> quoted,
        out TcpConnection connection, out uint sequence)
    {
        var key = new ConnectionKey(originalSource, BinaryPrimitives.ReadUInt16BigEndian(quoted),
            originalDestination, BinaryPrimitives.ReadUInt16BigEndian(quoted[2..]));
        sequence = BinaryPrimitives.ReadUInt32BigEndian(quoted[4..]);
        return _connections.TryGetValue(key, out connection!);
    }

    // ------------------------------------------------------------------ send helpers

    /// <summary>Sends a bare RST (with ACK when <paramref name="withAck"/>) on the four-tuple.</summary>
    internal void SendReset(ConnectionKey key, uint seq, uint ack, bool withAck)
    {
        var buffer = _stack.Buffers.Rent(TcpSegment.MinHeaderLength);
        var segment = buffer.Append(TcpSegment.MinHeaderLength);
        var header = new TcpHeader(key.LocalPort, key.RemotePort, seq, withAck ? ack : 0,
            withAck ? TcpFlags.Rst | TcpFlags.Ack : TcpFlags.Rst, Window: 0);
        TcpSegment.WriteHeader(segment, header, key.LocalAddress, key.RemoteAddress);
        _counters.TcpSegmentsSent++;
        _counters.TcpResetsSent++;
        SendSegment(buffer, key);
    }

    /// <summary>Puts a segment on the wire over the family of <paramref name="key"/>, never fragmented.</summary>
    internal void SendSegment(Buffers.PacketBuffer segment, in ConnectionKey key)
    {
        if (key.LocalAddress.IsIpv4)
            _stack.Ipv4.Send(segment, key.LocalAddress.Ipv4, key.RemoteAddress.Ipv4, IpProtocol.Tcp, dontFragment: true);
        else
            _stack.Ipv6.Send(segment, key.LocalAddress.Ipv6, key.RemoteAddress.Ipv6, IpProtocol.Tcp, dontFragment: true);
    }

    /// <summary>RFC 5961 §7: a stack-wide budget of challenge ACKs per second.</summary>
    internal bool TryTakeChallengeAck()
    {
        long second = _stack.Scheduler.Now.Nanoseconds / Duration.NanosecondsPerSecond;
        if (second != _challengeSecond)
        {
            _challengeSecond = second;
            _challengeCount = 0;
        }
        if (_challengeCount >= Settings.ChallengeAckLimitPerSecond) return false;
        _challengeCount++;
        return true;
    }

    internal int MssFor(IpAddress remote) => remote.IsIpv4
        ? _stack.Ipv4.TryRoute(remote.Ipv4, out var route, out _) ? route.Interface.Mtu - Ipv4Packet.MinHeaderLength - TcpSegment.MinHeaderLength : 536
        : _stack.Ipv6.MtuFor(remote.Ipv6) - Ipv6Packet.HeaderLength - TcpSegment.MinHeaderLength;

    // ------------------------------------------------------------------ connections and listeners

    internal void Remove(TcpConnection connection)
    {
        if (_lastDelivered == connection) _lastDelivered = null;
        if (_connections.TryGetValue(connection.Key, out var c) && c == connection) _connections.Remove(connection.Key);
    }

    /// <summary>Creates a connection in SYN-RECEIVED for a SYN that reached a listener.</summary>
    internal TcpConnection OpenPassive(TcpListenEndpoint listener, ConnectionKey key, in TcpSegment syn, in TcpHeaderOptions options)
    {
        var connection = new TcpConnection(_stack, this, key, MssFor(key.RemoteAddress), listener);
        _connections.Add(key, connection);
        connection.OpenPassive(NextIss(key), syn, options);
        return connection;
    }

    /// <summary>Answers <paramref name="syn"/> with a SYN-ACK whose ISS is a SYN cookie, keeping no state.
    /// Only the MSS option is offered, since nothing else would be remembered.</summary>
    internal void SendSynCookie(ConnectionKey key, in TcpSegment syn, in TcpHeaderOptions options)
    {
        int ourMss = MssFor(key.RemoteAddress);
        uint iss = Cookies.Make(key, options.Mss != 0 ? options.Mss : 536);
        var o = TcpHeaderOptions.None;
        o.Mss = (ushort)Math.Min(ourMss, ushort.MaxValue);
        int header = TcpSegment.MinHeaderLength + o.Length;
        var buffer = _stack.Buffers.Rent(header);
        var segment = buffer.Append(header);
        o.Write(segment[TcpSegment.MinHeaderLength..]);
        var synAck = new TcpHeader(key.LocalPort, key.RemotePort, iss, unchecked(syn.SequenceNumber + 1),
            TcpFlags.Syn | TcpFlags.Ack, (ushort)Math.Min(Settings.ReceiveBufferSize, ushort.MaxValue), header);
        TcpSegment.WriteHeader(segment, synAck, key.LocalAddress, key.RemoteAddress);
        _counters.TcpSegmentsSent++;
        _counters.TcpSynCookiesSent++;
        SendSegment(buffer, key);
    }

    /// <summary>An ACK reached a listener that sent SYN cookies lately: if it returns a valid cookie, the
    /// connection is created now, as if it had waited in SYN-RECEIVED, and the ACK completes it.</summary>
    internal bool TryOpenFromCookie(TcpListenEndpoint listener, ConnectionKey key, in TcpSegment ack, in TcpHeaderOptions options)
    {
        uint iss = unchecked(ack.AcknowledgmentNumber - 1);
        if (!Cookies.TryCheck(key, iss, out int peerMss)) return false;
        _counters.TcpSynCookiesAccepted++;
        var connection = new TcpConnection(_stack, this, key, MssFor(key.RemoteAddress), listener);
        _connections.Add(key, connection);
        connection.OpenFromCookie(iss, peerMss, ack, options);
        return true;
    }

    private uint NextIss(ConnectionKey key) =>
        Settings.FixedInitialSequenceNumber ?? Isn.Next(key.LocalAddress, key.LocalPort, key.RemoteAddress, key.RemotePort);

    // Listen and Connect are the transport's side of NetworkStack.ListenTcp and ConnectTcpAsync, the one public
    // way in for applications.

    /// <summary>LISTEN on <paramref name="port"/> with room for <paramref name="backlog"/> connections not
    /// yet accepted (half-open included).</summary>
    internal TcpListenEndpoint Listen(ushort port, int backlog = 0)
    {
        if (port == 0) port = EphemeralPorts.Pick(_stack.Random, p => _listeners.ContainsKey(p));
        if (_listeners.ContainsKey(port))
            throw new SocketException((int)SocketError.AddressAlreadyInUse, $"TCP port {port} is already listening");
        var listener = new TcpListenEndpoint(this, port, backlog > 0 ? backlog : Settings.DefaultBacklog);
        _listeners.Add(port, listener);
        return listener;
    }

    internal void StopListening(TcpListenEndpoint listener)
    {
        if (_listeners.TryGetValue(listener.LocalPort, out var l) && l == listener) _listeners.Remove(listener.LocalPort);
    }

    /// <summary>OPEN, active (RFC 9293 §3.10.1): a connection in SYN-SENT with <paramref name="observer"/>
    /// told of its progress. Throws SocketException when there is no route or the tuple is in use.</summary>
    internal TcpConnection Connect(IpAddress remote, ushort remotePort, ITcpConnectionObserver? observer, ushort localPort = 0)
    {
        if (!TryRouteSource(remote, out var source))
            throw new SocketException((int)SocketError.NetworkUnreachable, $"no route to {remote}");
        if (localPort == 0)
            localPort = EphemeralPorts.Pick(_stack.Random,
                p => _listeners.ContainsKey(p) || _connections.ContainsKey(new ConnectionKey(source, p, remote, remotePort)));
        var key = new ConnectionKey(source, localPort, remote, remotePort);
        if (_connections.ContainsKey(key))
            throw new SocketException((int)SocketError.AddressAlreadyInUse, $"connection {key} already exists (TIME-WAIT?)");
        var connection = new TcpConnection(_stack, this, key, MssFor(remote), null) { Observer = observer };
        _connections.Add(key, connection);
        connection.OpenActive(NextIss(key));
        return connection;
    }
}
