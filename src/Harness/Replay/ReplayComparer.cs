using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>Compares what our stack sent with what the captured endpoint sent, flow by flow, in order.
/// Compared: Ethernet addresses and type; every ARP field; IPv4 TOS, length, DF/MF, fragment offset, TTL,
/// protocol and addresses; ICMP type, code, id, sequence and data; UDP ports, length and data; TCP ports,
/// flags, sequence numbers relative to each side's ISN, acknowledgment numbers, payload length and bytes.
/// Ignored: IP ID (each stack numbers datagrams its own way) and checksums (they follow from the rest; ours
/// are checked for validity instead); TCP window, options and timestamps; the timing and number of pure
/// ACKs (a delayed-ACK policy), which are summarised per connection by the bytes they acknowledge.</summary>
public static class ReplayComparer
{
    /// <param name="midstream">Connections whose handshake the replay synthesised: our SYN and the pure
    /// ACKs before the first captured frame are part of it, not compared.</param>
    /// <param name="delivered">What the replay application received on a TCP flow (by flow name), if known.</param>
    public static ReplayReport Compare(IReadOnlyList<ReplayFrame> captured, IReadOnlyList<ReplayFrame> ours, ReplayRole role,
        IReadOnlyList<TcpServerScript>? midstream = null, Func<string, byte[]?>? delivered = null, string endpoint = "our stack")
    {
        var report = new ReplayReport();
        var mid = (midstream ?? []).ToDictionary(s => $"tcp {ReplayFrame.Endpoint(s.PeerAddress, s.PeerPort)} :{s.Port}", s => s.Midstream!);
        var playedByFlow = new Dictionary<string, List<ReplayFrame>>();
        var expectedByFlow = new Dictionary<string, List<(ReplayFrame Frame, int? Trigger)>>();
        var flowOrder = new List<string>();
        var capturedFlows = new FlowNamer(role);
        int? trigger = null;
        foreach (var f in captured)
        {
            string flow = capturedFlows.Name(f);
            if (!role.SentBy(f))
            {
                trigger = f.Number;
                if (!playedByFlow.TryGetValue(flow, out var p)) playedByFlow[flow] = p = new();
                p.Add(f);
                continue;
            }
            if (!expectedByFlow.TryGetValue(flow, out var list))
            {
                expectedByFlow[flow] = list = new();
                flowOrder.Add(flow);
            }
            list.Add((f, trigger));
        }
        var oursByFlow = new Dictionary<string, List<ReplayFrame>>();
        var ourFlows = new FlowNamer(role);
        var housekeeping = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var f in ours)
        {
            if (ReplayTraffic.Housekeeping(f) is { } kind)
            {
                housekeeping[kind] = housekeeping.GetValueOrDefault(kind) + 1;
                continue;
            }
            string flow = ourFlows.Name(f);
            if (!oursByFlow.TryGetValue(flow, out var list))
            {
                oursByFlow[flow] = list = new();
                if (!expectedByFlow.ContainsKey(flow)) flowOrder.Add(flow);
            }
            list.Add(f);
        }

        var exchanges = new List<ReplayExchange>();
        foreach (var flow in flowOrder)
        {
            int firstExchange = exchanges.Count;
            try
            {
            var expected = expectedByFlow.GetValueOrDefault(flow) ?? new();
            var actual = oursByFlow.GetValueOrDefault(flow) ?? new();
            if (flow is "arp" or "ndp" && expected.Count == 0)
            {
                // Not priming (--prime-arp false) a capture taken with warm caches: our stack had to resolve.
                string kind = flow == "arp" ? "ARP" : "neighbour discovery";
                report.Notes.Add($"{"link",-18} {endpoint}'s {actual.Count} {kind} frame{(actual.Count == 1 ? "" : "s")} {(actual.Count == 1 ? "has" : "have")} no counterpart in the capture (no {kind} of our endpoint there: taken with warm caches): not judged");
                continue;
            }
            if (flow == "ndp")
            {
                // A unicast solicitation is a reachability probe of a cached entry (RFC 4861 §7.3.3), as a unicast
                // ARP request is: its timing is the cache's policy and the real clock's; one the capture lacks is noted.
                var probes = actual.Where(a => a.IsNeighborSolicitation && !a.IpDestination.Ipv6.IsMulticast
                    && !expected.Any(x => x.Frame.IsNeighborSolicitation && x.Frame.IpDestination == a.IpDestination && x.Frame.NdTarget == a.NdTarget)).ToList();
                foreach (var probe in probes)
                    report.Notes.Add($"{"link",-18} ours #{probe.Number}: {endpoint} probed its cached entry for {ReplayFrame.Ip(probe.NdTarget)} (unicast neighbour solicitation); the capture has no such probe: not judged");
                actual = actual.Except(probes).ToList();
                var capturedProbes = expected.Where(x => x.Frame.IsNeighborSolicitation && !x.Frame.IpDestination.Ipv6.IsMulticast
                    && !actual.Any(a => a.IsNeighborSolicitation && a.IpDestination == x.Frame.IpDestination && a.NdTarget == x.Frame.NdTarget)).ToList();
                foreach (var probe in capturedProbes)
                    report.Notes.Add($"{"link",-18} frame {probe.Frame.Number}: the captured endpoint probed its cached entry for {ReplayFrame.Ip(probe.Frame.NdTarget)} (unicast neighbour solicitation); {endpoint} did not: not judged");
                expected = expected.Except(capturedProbes).ToList();
            }
            if (flow == "arp")
            {
                // A unicast request is a reachability probe of a cached entry (RFC 1122 2.3.2.1): when it goes out
                // is the cache's policy and the real clock's (a transfer stretched by a loaded machine outlives the
                // kernel's 5 s delay), like the timing of pure ACKs; one that only one side sent is noted, not judged.
                static bool IsProbe(ReplayFrame f) => f.ArpOperation == 1 && f.EthDestination != "ff:ff:ff:ff:ff:ff";
                static bool SameProbe(ReplayFrame a, ReplayFrame b) =>
                    a.ArpOperation == 1 && a.EthDestination == b.EthDestination && a.ArpTargetIp == b.ArpTargetIp;
                var probes = actual.Where(a => IsProbe(a) && !expected.Any(x => SameProbe(x.Frame, a))).ToList();
                foreach (var probe in probes)
                    report.Notes.Add($"{"link",-18} ours #{probe.Number}: {endpoint} probed its cached entry for {ReplayFrame.Ip(probe.ArpTargetIp)} (unicast ARP request); the capture has no such probe: not judged");
                actual = actual.Except(probes).ToList();
                var capturedProbes = expected.Where(x => IsProbe(x.Frame) && !actual.Any(a => SameProbe(a, x.Frame))).ToList();
                foreach (var probe in capturedProbes)
                    report.Notes.Add($"{"link",-18} frame {probe.Frame.Number}: the captured endpoint probed its cached entry for {ReplayFrame.Ip(probe.Frame.ArpTargetIp)} (unicast ARP request); {endpoint} did not: not judged");
                expected = expected.Except(capturedProbes).ToList();
            }
            if (flow == "arp" && expected.Count > actual.Count)
            {
                // Requests that crossed: the captured endpoint asked for X just as X asked for it. Whoever hears the
                // other's request first learns the address from it (RFC 826 merge) and never asks; which one that
                // is depends on microseconds, so a missing request of ours then is not a difference.
                var peerArp = playedByFlow.GetValueOrDefault("arp") ?? new();
                var crossed = expected.Where(x => x.Frame.ArpOperation == 1
                        && !actual.Any(a => a.ArpOperation == 1 && a.ArpTargetIp == x.Frame.ArpTargetIp)
                        && peerArp.Any(p => p.ArpOperation == 1 && p.ArpSenderIp == x.Frame.ArpTargetIp && role.Owns(p.ArpTargetIp)
                                            && (p.Time - x.Frame.Time).Abs() < CrossedArp))
                    .ToList();
                foreach (var c in crossed)
                    report.Notes.Add($"{"link",-18} frame {c.Frame.Number}: the captured endpoint's ARP request for {ReplayFrame.Ip(c.Frame.ArpTargetIp)} crossed that host's request for it; {endpoint} learned the address from the request and did not ask: not judged");
                expected = expected.Except(crossed).ToList();
            }
            bool tcp = flow.StartsWith("tcp", StringComparison.Ordinal);
            (uint Captured, uint Ours) isn = tcp ? (Isn(expected.Select(x => x.Frame)), Isn(actual)) : (0u, 0u);
            var peer = playedByFlow.GetValueOrDefault(flow) ?? new();
            uint peerIsn = tcp ? Isn(peer) : 0;
            if (tcp && mid.TryGetValue(flow, out var m))
            {
                isn.Item1 = m.CapturedOurIsn;
                peerIsn = m.CapturedPeerIsn;
                actual = actual.Where(f => !f.Has(ReplayFrame.Syn) && !(f.IsPureAck && f.Time < m.FirstAt)).ToList();
            }
            if (tcp && expected.Count > 0 && TcpSemantics.Irregular(expected.Select(x => x.Frame), actual, peer, isn.Item1, isn.Item2, peerIsn))
            {
                // Loss, retransmission, reordering or duplication: segment-by-segment pairing would call every
                // shifted segment a difference, so the connection is judged by what it achieved.
                exchanges.AddRange(TcpSemantics.Judge(flow, expected, actual, peer, isn.Item1, isn.Item2, peerIsn, delivered?.Invoke(flow), report));
                continue;
            }
            var e = tcp ? expected.Where(x => !x.Frame.IsPureAck).ToList() : expected;
            var a = tcp ? actual.Where(x => !x.IsPureAck).ToList() : actual;
            int n = Math.Max(e.Count, a.Count);
            // Acknowledgments of ours ahead of the capture's by peer bytes that crossed the captured segment.
            var crossedAcks = tcp ? new CrossedAcknowledgment(peer, expected.Select(x => x.Frame).ToList()) : null;
            for (int i = 0; i < n; i++)
            {
                if (i >= a.Count)
                    exchanges.Add(new(e[i].Frame.Number, e[i].Trigger, null, Describe(e[i].Frame), new()));
                else if (i >= e.Count)
                    exchanges.Add(new(null, null, a[i].Number, Describe(a[i]), new()));
                else
                {
                    var tolerated = new List<string>();
                    exchanges.Add(new(e[i].Frame.Number, e[i].Trigger, a[i].Number, Describe(e[i].Frame),
                        Differences(e[i].Frame, a[i], role, isn.Item1, isn.Item2, crossedAcks, tolerated)) { Tolerated = tolerated });
                }
            }
            if (tcp) SummariseAcks(report, flow, expected.Select(x => x.Frame).ToList(), actual);
            }
            finally
            {
                for (int i = firstExchange; i < exchanges.Count; i++) exchanges[i] = exchanges[i] with { Flow = flow, Endpoint = endpoint };
            }
        }
        foreach (var (kind, count) in housekeeping)
            report.Notes.Add($"{"link",-18} {endpoint} sent {count} frame{(count == 1 ? "" : "s")} of {kind}: its interface's housekeeping, not judged");
        report.Exchanges.AddRange(exchanges.OrderBy(x => x.CapturedNumber ?? int.MaxValue).ThenBy(x => x.OursNumber));
        return report;
    }

    /// <summary>Two ARP requests this close, each for the other's address, crossed on the wire.</summary>
    private static readonly Duration CrossedArp = Duration.FromMilliseconds(5);

    private static uint Isn(IEnumerable<ReplayFrame> frames) =>
        frames.FirstOrDefault(f => f.IsTcp && f.Has(ReplayFrame.Syn))?.Seq ?? 0;

    /// <summary>Pure ACKs are not paired one to one: a stack may ACK at once, delay, or ride on data. What must
    /// agree is how far the captured endpoint's ACKs got in the end.</summary>
    private static void SummariseAcks(ReplayReport report, string flow, List<ReplayFrame> expected, List<ReplayFrame> ours)
    {
        int capturedAcks = expected.Count(f => f.IsPureAck), ourAcks = ours.Count(f => f.IsPureAck);
        uint? capturedAck = expected.LastOrDefault(f => f.Has(ReplayFrame.AckFlag))?.Ack;
        uint? ourAck = ours.LastOrDefault(f => f.Has(ReplayFrame.AckFlag))?.Ack;
        string line = $"{flow}: pure ACKs not paired (capture {capturedAcks}, ours {ourAcks}); last acknowledgment: capture {capturedAck?.ToString() ?? "none"}, ours {ourAck?.ToString() ?? "none"}";
        if (capturedAck != ourAck) report.Problems.Add(line);
        else report.Notes.Add($"{"note",-18} {line}: same");
    }

    private static List<string> Differences(ReplayFrame e, ReplayFrame a, ReplayRole role, uint capturedIsn, uint ourIsn,
        CrossedAcknowledgment? crossed, List<string> tolerated)
    {
        var d = new List<string>();
        void Check<T>(string field, T expected, T actual)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual)) d.Add($"{field} {expected} in capture, {actual} ours");
        }
        string Mac(string m) => m == role.CapturedMac ? role.OurMac : m;
        Check("eth dst", e.EthDestination, a.EthDestination);
        Check("eth src", Mac(e.EthSource), a.EthSource);
        Check("ethertype", $"0x{e.EtherType:x4}", $"0x{a.EtherType:x4}");
        if (e.IsNdp || a.IsNdp)
        {
            if (e.IsNdp != a.IsNdp || e.IpSource.IsIpv4 != a.IpSource.IsIpv4)
            {
                Check("message", Describe(e), Describe(a));
                return d;
            }
            Check("ip src", ReplayFrame.Ip(e.IpSource), ReplayFrame.Ip(a.IpSource));
            Check("ip dst", ReplayFrame.Ip(e.IpDestination), ReplayFrame.Ip(a.IpDestination));
            Check("hop limit", e.Ttl, a.Ttl);
            Check("icmpv6 type", e.IcmpType, a.IcmpType);
            Check("icmpv6 code", e.IcmpCode, a.IcmpCode);
            Check("nd target", ReplayFrame.Ip(e.NdTarget), ReplayFrame.Ip(a.NdTarget));
            Check("na flags R/S/O", e.NdFlags, a.NdFlags);
            Check("nd options", NdOptions(e, Mac), NdOptions(a, m => m));
            if (!TransportChecksumValid(a)) d.Add("our ICMPv6 checksum is wrong");
            return d;
        }
        if (e.IsArp || a.IsArp)
        {
            Check("arp op", e.ArpOperation, a.ArpOperation);
            Check("arp sender mac", Mac(e.ArpSenderMac), a.ArpSenderMac);
            Check("arp sender ip", ReplayFrame.Ip(e.ArpSenderIp), ReplayFrame.Ip(a.ArpSenderIp));
            Check("arp target mac", Mac(e.ArpTargetMac), a.ArpTargetMac);
            Check("arp target ip", ReplayFrame.Ip(e.ArpTargetIp), ReplayFrame.Ip(a.ArpTargetIp));
            // A sender's capture shows a frame before the NIC pads it to 60 bytes; our stack pads it itself.
            if (e.Bytes.Length != a.Bytes.Length)
            {
                if (Math.Max(e.Bytes.Length, a.Bytes.Length) == 60) tolerated.Add($"Ethernet padding ({e.Bytes.Length} bytes in capture, {a.Bytes.Length} ours)");
                else Check("frame length", e.Bytes.Length, a.Bytes.Length);
            }
            return d;
        }
        if (!e.IsIp || !a.IsIp || e.IsIpv6 != a.IsIpv6)
        {
            Check("bytes", Convert.ToHexString(e.Bytes), Convert.ToHexString(a.Bytes));
            return d;
        }
        // IPv6 has no header checksum, DF or identification to compare; the flow label is each stack's choice
        // (Linux hashes one per connection, RFC 6437), ignored like the IPv4 ID.
        bool v6 = e.IsIpv6;
        Check(v6 ? "traffic class" : "ip tos", e.Tos, a.Tos);
        // For TCP the length follows from the options (ignored) and the payload length (compared below).
        if (!(e.IsTcp && a.IsTcp)) Check("ip length", e.IpTotalLength, a.IpTotalLength);
        if (v6) Check("extension headers", e.ExtensionHeaders == "" ? "none" : e.ExtensionHeaders, a.ExtensionHeaders == "" ? "none" : a.ExtensionHeaders);
        // Linux sets DF on UDP by default (path-MTU discovery, IP_PMTUDISC_WANT); a stack without PMTUD
        // for UDP leaves it clear. Both are valid (RFC 1191 is optional), so it is shown, not counted.
        else if (e.DontFragment != a.DontFragment && e.Protocol == 17 && a.Protocol == 17)
            tolerated.Add($"ip DF {e.DontFragment} in capture, {a.DontFragment} ours (UDP path-MTU-discovery policy)");
        else Check("ip DF", e.DontFragment, a.DontFragment);
        Check("ip MF", e.MoreFragments, a.MoreFragments);
        Check("fragment offset", e.FragmentOffset, a.FragmentOffset);
        Check(v6 ? "hop limit" : "ttl", e.Ttl, a.Ttl);
        Check(v6 ? "next header" : "protocol", e.Protocol, a.Protocol);
        Check("ip src", ReplayFrame.Ip(e.IpSource), ReplayFrame.Ip(a.IpSource));
        Check("ip dst", ReplayFrame.Ip(e.IpDestination), ReplayFrame.Ip(a.IpDestination));
        if (!v6 && Checksum.Compute(a.Bytes.AsSpan(14, a.IpHeaderLength)) != 0) d.Add("our IP header checksum is wrong");
        if (d.Count > 0) return d;
        if (!e.IsFirstFragment)
        {
            if (!e.L4.SequenceEqual(a.L4)) d.Add("fragment data differs");
            return d;
        }
        if (e.IsIcmp)
        {
            Check("icmp type", e.IcmpType, a.IcmpType);
            Check("icmp code", e.IcmpCode, a.IcmpCode);
            Check("icmp id", e.IcmpId, a.IcmpId);
            Check("icmp seq", e.IcmpSequence, a.IcmpSequence);
            if (!e.L4[8..].SequenceEqual(a.L4[8..])) d.Add($"icmp data differs at byte {Mismatch(e.L4[8..], a.L4[8..])}");
            if (!a.MoreFragments && (a.IsIpv6 ? !TransportChecksumValid(a) : Checksum.Compute(a.L4) != 0))
                d.Add($"our {(a.IsIpv6 ? "ICMPv6" : "ICMP")} checksum is wrong");
        }
        else if (e.IsUdp)
        {
            Check("src port", e.SourcePort, a.SourcePort);
            Check("dst port", e.DestinationPort, a.DestinationPort);
            Check("udp length", e.UdpLength, a.UdpLength);
            if (!e.UdpPayload.SequenceEqual(a.UdpPayload)) d.Add($"udp data differs at byte {Mismatch(e.UdpPayload, a.UdpPayload)}");
            if (!a.MoreFragments && !TransportChecksumValid(a)) d.Add("our UDP checksum is wrong");
        }
        else if (e.IsTcp)
        {
            Check("src port", e.SourcePort, a.SourcePort);
            Check("dst port", e.DestinationPort, a.DestinationPort);
            Check("flags", Flags(e.TcpFlags & ~ReplayFrame.Psh), Flags(a.TcpFlags & ~ReplayFrame.Psh));
            Check("relative seq", unchecked(e.Seq - capturedIsn), unchecked(a.Seq - ourIsn));
            // The peer's last bytes or FIN crossed this segment in the capture (a client closing while the server's
            // reply is in flight, a simultaneous close): which arrives first is the applications' timing.
            if (e.Has(ReplayFrame.AckFlag) && e.Ack != a.Ack && a.Has(ReplayFrame.AckFlag) && crossed?.Reason(e, a.Ack) is { } reason)
                tolerated.Add(reason);
            else if (e.Has(ReplayFrame.AckFlag)) Check("ack", e.Ack, a.Ack);
            Check("payload length", e.TcpPayloadLength, a.TcpPayloadLength);
            if (e.TcpPayloadLength == a.TcpPayloadLength && !e.TcpPayload.SequenceEqual(a.TcpPayload))
                d.Add($"payload differs at byte {Mismatch(e.TcpPayload, a.TcpPayload)}");
            if (!TransportChecksumValid(a)) d.Add("our TCP checksum is wrong");
        }
        else if (!e.L4.SequenceEqual(a.L4)) d.Add("payload differs");
        return d;
    }

    private static bool TransportChecksumValid(ReplayFrame f)
    {
        if (f.Protocol == 17 && f.L4[6] == 0 && f.L4[7] == 0) return true; // UDP without a checksum
        ulong sum = Checksum.PseudoHeader(f.IpSource, f.IpDestination, f.Protocol, f.L4Length);
        return Checksum.IsValid(Checksum.Accumulate(sum, f.L4));
    }

    /// <summary>The options of a neighbour discovery message: type and length, and the MAC of a link-layer
    /// address option (through <paramref name="mac"/>: the captured endpoint's MAC is compared as ours).</summary>
    private static string NdOptions(ReplayFrame f, Func<string, string> mac)
    {
        int start = f.IcmpType switch { 133 => 8, 134 => 16, 137 => 40, _ => 24 };
        var parts = new List<string>();
        var options = f.L4;
        for (int i = start; i + 2 <= options.Length;)
        {
            int length = options[i + 1] * 8;
            if (length == 0 || i + length > options.Length) { parts.Add("malformed"); break; }
            parts.Add(options[i] is 1 or 2 && length == 8 ? $"{(options[i] == 1 ? "source" : "target")} link-layer {mac(ReplayFrame.Mac(options[(i + 2)..]))}" : $"type {options[i]} len {length}");
            i += length;
        }
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }

    private static int Mismatch(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int i = a.CommonPrefixLength(b);
        return i;
    }

    public static string Flags(int flags)
    {
        var s = "";
        if ((flags & ReplayFrame.Syn) != 0) s += "S";
        if ((flags & ReplayFrame.Fin) != 0) s += "F";
        if ((flags & ReplayFrame.Rst) != 0) s += "R";
        if ((flags & ReplayFrame.Psh) != 0) s += "P";
        if ((flags & ReplayFrame.AckFlag) != 0) s += ".";
        return s == "" ? "none" : s;
    }

    public static string Describe(ReplayFrame f)
    {
        if (f.IsArp) return f.ArpOperation == 1
            ? $"ARP who-has {ReplayFrame.Ip(f.ArpTargetIp)} tell {ReplayFrame.Ip(f.ArpSenderIp)}"
            : $"ARP {ReplayFrame.Ip(f.ArpSenderIp)} is-at {f.ArpSenderMac}";
        if (!f.IsIp) return $"ethertype 0x{f.EtherType:x4}, {f.Bytes.Length} bytes";
        string family = f.IsIpv6 ? "IPv6" : "IPv4";
        if (!f.IsFirstFragment) return $"{family} fragment offset {f.FragmentOffset} len {f.L4Length}{(f.MoreFragments ? " MF" : "")}";
        string frag = f.MoreFragments ? " (first fragment)" : "";
        if (f.IsNeighborSolicitation) return $"NDP who-has {ReplayFrame.Ip(f.NdTarget)} tell {ReplayFrame.Ip(f.IpSource)}";
        if (f.IsNeighborAdvertisement) return $"NDP {ReplayFrame.Ip(f.NdTarget)} is-at{(f.NdFlags == 0 ? "" : $" [{((f.NdFlags & 4) != 0 ? "R" : "")}{((f.NdFlags & 2) != 0 ? "S" : "")}{((f.NdFlags & 1) != 0 ? "O" : "")}]")}";
        string icmp = f.IsIpv6 ? "ICMPv6" : "ICMP";
        if (f.IsEchoReply) return $"{icmp} echo reply id {f.IcmpId} seq {f.IcmpSequence}{frag}";
        if (f.IsEchoRequest) return $"{icmp} echo request id {f.IcmpId} seq {f.IcmpSequence}{frag}";
        if (f.IsIcmp) return $"{icmp} type {f.IcmpType} code {f.IcmpCode}{frag}";
        if (f.IsUdp) return $"UDP {f.SourcePort} > {f.DestinationPort} len {f.UdpLength - 8}{(f.IsIpv6 ? " (IPv6)" : "")}";
        if (f.IsTcp) return $"TCP {f.SourcePort} > {f.DestinationPort} [{Flags(f.TcpFlags)}] len {f.TcpPayloadLength}{(f.IsIpv6 ? " (IPv6)" : "")}";
        return $"{family} protocol {f.Protocol}";
    }

    /// <summary>Names the flow a frame belongs to, the same way for the captured and our frames; fragments
    /// after the first join the flow of their datagram.</summary>
    private sealed class FlowNamer(ReplayRole role)
    {
        private readonly Dictionary<(IpAddress, IpAddress, byte, uint), string> _datagrams = new();

        public string Name(ReplayFrame f)
        {
            if (f.IsArp) return "arp";
            if (!f.IsIp) return "other";
            if (f.IsNeighborSolicitation || f.IsNeighborAdvertisement) return "ndp";
            var datagram = (f.IpSource, f.IpDestination, f.Protocol, f.IpId);
            if (!f.IsFirstFragment) return _datagrams.GetValueOrDefault(datagram, "ip fragments");
            bool outbound = role.Owns(f.IpSource);
            var peer = outbound ? f.IpDestination : f.IpSource;
            string name = f switch
            {
                { IsEchoRequest: true } or { IsEchoReply: true } => $"{(f.IsIpv6 ? "icmpv6" : "icmp")} echo {ReplayFrame.Ip(peer)} id {f.IcmpId}",
                { IsIcmp: true } => $"{(f.IsIpv6 ? "icmpv6" : "icmp")} errors {ReplayFrame.Ip(peer)}",
                { IsUdp: true } => $"udp {ReplayFrame.Endpoint(peer, outbound ? f.DestinationPort : f.SourcePort)} :{(outbound ? f.SourcePort : f.DestinationPort)}",
                { IsTcp: true } => $"tcp {ReplayFrame.Endpoint(peer, outbound ? f.DestinationPort : f.SourcePort)} :{(outbound ? f.SourcePort : f.DestinationPort)}",
                _ => $"ip {f.Protocol} {ReplayFrame.Ip(peer)}",
            };
            if (f.MoreFragments) _datagrams[datagram] = name;
            return name;
        }
    }
}
