using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>What the captured endpoint's application did on one connection or UDP port, as a list of
/// steps: after the peer had sent <see cref="PeerBytesBefore"/> bytes (or datagrams), at the captured time,
/// send <see cref="Payload"/> (or, for TCP, close when <see cref="Close"/> is set).</summary>
public sealed record ServerStep(Instant Time, long PeerBytesBefore, bool PeerClosedBefore, byte[] Payload, bool Close)
{
    /// <summary>UDP: where the captured endpoint sent the datagram (several peers may share one server port); 0 for TCP.</summary>
    public IpAddress ToAddress { get; init; }
    public ushort ToPort { get; init; }

    /// <summary>Whether the peer has sent what the captured application had received before this step: its bytes
    /// (or datagrams) and, when the step came after the peer's FIN, the FIN. The time is the caller's rule: the
    /// virtual replay waits for the captured time, the kernel's keeps the captured distance from a late step.</summary>
    public bool PeerHasSent(long received, bool peerClosed) => received >= PeerBytesBefore && (!PeerClosedBefore || peerClosed);
}

/// <summary>An echo request our endpoint sent: sent again by the replay with the same fields and data.</summary>
public sealed record EchoRequestStep(Instant Time, IpAddress Destination, ushort Identifier, ushort Sequence, byte[] Data, byte Ttl, bool DontFragment);

/// <summary>A TCP connection of our endpoint in the capture, with what its application sent: accepted on
/// <see cref="Port"/>, or (when <see cref="Active"/>) opened from it at <see cref="ConnectAt"/>.</summary>
public sealed record TcpServerScript(ushort Port, IpAddress PeerAddress, ushort PeerPort, List<ServerStep> Steps)
{
    public bool Active { get; init; }
    public Instant ConnectAt { get; init; }
    /// <summary>The peer reset the connection in the capture, so a refused connect or a reset is expected.</summary>
    public bool PeerReset { get; set; }
    /// <summary>Set when the capture starts after this connection's handshake: the replay synthesises one.</summary>
    public MidstreamStart? Midstream { get; init; }
}

/// <summary>Where a connection stands at its first captured frame when the capture lacks its handshake: the
/// ISNs implied by the first sequence and acknowledgment numbers (one before the first byte seen each way),
/// the timestamp clocks, and whether our endpoint was the connecting side (guessed: the higher port).</summary>
public sealed record MidstreamStart(int FirstFrame, Instant FirstAt, uint CapturedPeerIsn, uint CapturedOurIsn,
    bool Timestamps, uint PeerTsVal, uint OurTsVal, string PeerMac)
{
    /// <summary>Most the synthesised handshake goes before the first captured frame of its connection (less
    /// when other frames are closer: it starts after the frame before). The peer's SYN (server role) or our
    /// connect (client role) starts it; the rest answers our stack at once.</summary>
    public static readonly Duration Lead = Duration.FromMilliseconds(3);

    /// <summary>When the peer's synthesised SYN is injected, or our application connects.</summary>
    public Instant StartAt { get; init; }
}

/// <summary>A UDP port our endpoint used in the capture: per datagram it sent, how many had arrived before.
/// When our endpoint spoke first, <see cref="PeerAddress"/> and <see cref="PeerPort"/> say to whom.</summary>
public sealed record UdpServerScript(ushort Port, List<ServerStep> Steps)
{
    public IpAddress PeerAddress { get; init; }
    public ushort PeerPort { get; init; }
}

/// <summary>Derives the replay applications from the capture: our side of each TCP connection (the server
/// side of those the peer opened, the client side of those our endpoint opened), and the replies of each
/// UDP port the peer sent to.</summary>
public static class ServerScripts
{
    /// <summary>When the application sent <paramref name="first"/>: at the ARP request (neighbour solicitation) our
    /// endpoint sent just before it for the same peer, if there was one, else at the frame itself.</summary>
    private static Instant ResolvedSince(ReplayFrame? previousOurs, ReplayFrame first) =>
        previousOurs is { } request && request.Resolves(first.IpDestination) ? request.Time : first.Time;

    /// <summary>The echo requests our endpoint sent, reassembled from their fragments, each to be sent again
    /// with its identifier, sequence number, data, TTL and DF at its captured time (at the ARP request our
    /// endpoint sent just before it for the same peer, when there was one).</summary>
    public static List<EchoRequestStep> EchoRequests(IReadOnlyList<ReplayFrame> frames, ReplayRole role)
    {
        var steps = new List<EchoRequestStep>();
        ReplayFrame? previousOurs = null;
        for (int i = 0; i < frames.Count; i++)
        {
            var f = frames[i];
            if (!role.SentBy(f)) continue;
            var before = previousOurs;
            previousOurs = f;
            if (!f.IsEchoRequest || !role.Owns(f.IpSource)) continue;
            var message = new List<byte>(f.L4.ToArray());
            // Later fragments of the same datagram, in offset order as they follow in the capture.
            for (int j = i + 1; f.MoreFragments && j < frames.Count && message.Count > 0; j++)
            {
                var g = frames[j];
                if (g.IsIpv6 != f.IsIpv6 || !g.IsIp || g.Protocol != f.Protocol || g.IpId != f.IpId || g.IpSource != f.IpSource || g.IpDestination != f.IpDestination || g.IsFirstFragment) continue;
                if (g.FragmentOffset != message.Count) break;
                message.AddRange(g.L4.ToArray());
                if (!g.MoreFragments) break;
            }
            steps.Add(new EchoRequestStep(ResolvedSince(before, f), f.IpDestination, f.IcmpId, f.IcmpSequence, message.Skip(8).ToArray(), f.Ttl, f.DontFragment));
        }
        return steps;
    }

    /// <summary>The destination port of the UDP datagram a port unreachable quotes (after the quoted IPv4 header
    /// with its options, or the 40-byte IPv6 header).</summary>
    private static ushort QuotedDestinationPort(ReplayFrame f)
    {
        int at = 8 + (f.IsIpv6 ? 40 : (f.L4[8] & 15) * 4) + 2;
        return (ushort)(f.L4[at] << 8 | f.L4[at + 1]);
    }

    /// <summary>Traffic our endpoint started that no replay application can reproduce.</summary>
    public static List<string> Unsupported(IReadOnlyList<ReplayFrame> frames, ReplayRole role) => new();

    /// <summary>How far ahead of a hole our endpoint's captured segments are held (more is a bogus sequence number).</summary>
    private const long MaxHeldBytes = 64 << 20;

    public static (List<TcpServerScript> Tcp, List<UdpServerScript> Udp) Derive(IReadOnlyList<ReplayFrame> frames, ReplayRole role)
    {
        var tcp = new Dictionary<(IpAddress, ushort, ushort), (TcpServerScript Script, uint PeerIsn, uint OurIsn, long PeerBytes, bool PeerFin, bool OurFin)>();
        var udp = new Dictionary<ushort, (UdpServerScript Script, long Datagrams)>();
        // When our endpoint's previous frame was an ARP request for the peer, the connect happened then: the
        // address had to be resolved before the SYN could go out.
        ReplayFrame? previousOurs = null;
        var previousTime = Instant.Zero;
        var held = new Dictionary<(IpAddress, ushort, ushort), SortedDictionary<long, byte[]>>();
        // Connections whose captured FIN came before all the bytes it follows: where it is, and when it was captured.
        var closeAfter = new Dictionary<(IpAddress, ushort, ushort), (long Offset, Instant Time)>();
        foreach (var f in frames)
        {
            var previous = previousTime;
            previousTime = f.Time;
            bool ours = role.SentBy(f);
            var before = previousOurs;
            if (ours) previousOurs = f;
            if (f.IsTcp)
            {
                var key = ours ? (f.IpDestination, f.DestinationPort, f.SourcePort) : (f.IpSource, f.SourcePort, f.DestinationPort);
                if (!ours && f.Has(ReplayFrame.Syn) && !f.Has(ReplayFrame.AckFlag) && role.Owns(f.IpDestination))
                {
                    tcp[key] = (new TcpServerScript(f.DestinationPort, f.IpSource, f.SourcePort, new()), f.Seq + 1, 0, 0, false, false);
                    continue;
                }
                if (ours && f.Has(ReplayFrame.Syn) && !f.Has(ReplayFrame.AckFlag))
                {
                    tcp[key] = (new TcpServerScript(f.SourcePort, f.IpDestination, f.DestinationPort, new()) {
                        Active = true,
                        ConnectAt = ResolvedSince(before, f),
                    },
                        0, f.Seq + 1, 0, false, false);
                    continue;
                }
                if (!tcp.ContainsKey(key) && !f.Has(ReplayFrame.Syn) && !f.Has(ReplayFrame.Rst) && f.Has(ReplayFrame.AckFlag))
                {
                    // No handshake in the capture: start from the numbers this frame shows.
                    uint ourStart = ours ? f.Seq : f.Ack, peerStart = ours ? f.Ack : f.Seq;
                    ushort ourPort = ours ? f.SourcePort : f.DestinationPort, peerPort = ours ? f.DestinationPort : f.SourcePort;
                    var startAt = Instant.Max(previous, f.Time - MidstreamStart.Lead);
                    // When our endpoint had just resolved the peer, the connection was opened then.
                    if (before is { } request && request.Resolves(ours ? f.IpDestination : f.IpSource))
                        startAt = request.Time;
                    var start = new MidstreamStart(f.Number, f.Time, peerStart - 1, ourStart - 1, f.TimestampOffset >= 0,
                        ours ? f.TsEcr : f.TsVal, ours ? f.TsVal : f.TsEcr, ours ? f.EthDestination : f.EthSource) { StartAt = startAt };
                    tcp[key] = (new TcpServerScript(ourPort, ours ? f.IpDestination : f.IpSource, peerPort, new())
                    {
                        Active = ourPort > peerPort,
                        ConnectAt = startAt,
                        Midstream = start,
                    }, peerStart, ourStart, 0, false, false);
                }
                if (!tcp.TryGetValue(key, out var c)) continue;
                if (!ours && f.Has(ReplayFrame.Rst)) c.Script.PeerReset = true;
                if (!ours && f.Has(ReplayFrame.Syn)) { c.PeerIsn = f.Seq + 1; tcp[key] = c; continue; }
                if (ours)
                {
                    if (f.Has(ReplayFrame.Syn)) { c.OurIsn = f.Seq + 1; tcp[key] = c; continue; }
                    if (f.Has(ReplayFrame.Rst)) continue;
                    // Only new data: a retransmission's bytes were already scripted. A segment after a hole
                    // (its predecessor lost before the capture point) waits until the hole is filled.
                    long offset = (long)unchecked(f.Seq - c.OurIsn);
                    long sent = c.Script.Steps.Where(s => !s.Close).Sum(s => (long)s.Payload.Length);
                    if (f.TcpPayloadLength > 0 && offset + f.TcpPayloadLength > sent)
                    {
                        if (!held.TryGetValue(key, out var waiting)) held[key] = waiting = new SortedDictionary<long, byte[]>();
                        if (offset > sent)
                        {
                            if (offset - sent < MaxHeldBytes) waiting[offset] = f.TcpPayload.ToArray();
                        }
                        else
                        {
                            var data = new List<byte>(f.TcpPayload[(int)(sent - offset)..].ToArray());
                            long end = offset + f.TcpPayloadLength;
                            while (waiting.Count > 0 && waiting.First() is var (at, bytes) && at <= end)
                            {
                                waiting.Remove(at);
                                if (at + bytes.Length > end) data.AddRange(bytes[(int)(end - at)..]);
                                end = Math.Max(end, at + bytes.Length);
                            }
                            c.Script.Steps.Add(new ServerStep(f.Time, c.PeerBytes, c.PeerFin, data.ToArray(), false));
                            sent += data.Count;
                        }
                    }
                    if (f.Has(ReplayFrame.Fin) && !c.OurFin)
                    {
                        // A FIN that overtook bytes lost before the capture point (their retransmission comes later)
                        // closes once they are sent: the application closed after writing them.
                        if (offset + f.TcpPayloadLength > sent) closeAfter[key] = (offset + f.TcpPayloadLength, f.Time);
                        else c.Script.Steps.Add(new ServerStep(f.Time, c.PeerBytes, c.PeerFin, [], true));
                        c.OurFin = true;
                    }
                    else if (closeAfter.TryGetValue(key, out var close) && sent >= close.Offset)
                    {
                        c.Script.Steps.Add(new ServerStep(f.Time, c.PeerBytes, c.PeerFin, [], true));
                        closeAfter.Remove(key);
                    }
                }
                else if (c.PeerIsn != 0)
                {
                    long end = (long)unchecked(f.Seq - c.PeerIsn) + f.TcpPayloadLength;
                    if (f.TcpPayloadLength > 0) c.PeerBytes = Math.Max(c.PeerBytes, end); // an ACK after a FIN has seq FIN+1
                    if (f.Has(ReplayFrame.Fin)) c.PeerFin = true;
                }
                tcp[key] = c;
            }
            else if (f.IsUdp)
            {
                if (!ours && role.Owns(f.IpDestination))
                {
                    if (!udp.TryGetValue(f.DestinationPort, out var u)) u = (new UdpServerScript(f.DestinationPort, new()), 0);
                    u.Datagrams++;
                    udp[f.DestinationPort] = u;
                }
                else if (ours && !udp.ContainsKey(f.SourcePort))
                {
                    var script = new UdpServerScript(f.SourcePort, new()) { PeerAddress = f.IpDestination, PeerPort = f.DestinationPort };
                    script.Steps.Add(new ServerStep(ResolvedSince(before, f), 0, false, f.UdpPayload.ToArray(), false)
                        { ToAddress = f.IpDestination, ToPort = f.DestinationPort });
                    udp[f.SourcePort] = (script, 0);
                }
                else if (ours && udp.TryGetValue(f.SourcePort, out var u))
                {
                    u.Script.Steps.Add(new ServerStep(f.Time, u.Datagrams, false, f.UdpPayload.ToArray(), false)
                        { ToAddress = f.IpDestination, ToPort = f.DestinationPort });
                }
            }
        }
        // A FIN whose preceding bytes the capture never shows (all of them) closes after the ones it shows.
        foreach (var (key, close) in closeAfter)
            if (tcp.TryGetValue(key, out var c)) c.Script.Steps.Add(new ServerStep(close.Time, c.PeerBytes, c.PeerFin, [], true));
        // A port our endpoint answered with port-unreachable stays closed; every other port the peer sent to is open.
        var closed = frames.Where(f => role.SentBy(f) && f.IsIcmp && (f.IsIpv6 ? f.IcmpType == 1 && f.IcmpCode == 4 && f.L4Length >= 8 + 40 + 4
                : f.IcmpType == 3 && f.IcmpCode == 3 && f.L4Length >= 8 + 20 + 4))
            .Select(f => QuotedDestinationPort(f)).ToHashSet();
        return (tcp.Values.Where(c => c.OurIsn != 0).Select(c => c.Script).ToList(),
            udp.Values.Select(u => u.Script).Where(s => s.Steps.Count > 0 || !closed.Contains(s.Port)).ToList());
    }
}
