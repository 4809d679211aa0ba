using System.Buffers.Binary;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>What the replay does with a captured frame.</summary>
public enum ReplayUse
{
    /// <summary>Sent by another endpoint to ours: injected into our stack.</summary>
    Played,
    /// <summary>Sent by the endpoint our stack takes over: compared with what our stack sends.</summary>
    Expected,
    /// <summary>Neither: traffic our stack does not speak, between other hosts, or cut by the snapshot length.</summary>
    Skipped,
}

/// <summary>Sorts a capture's frames into played, expected and skipped, and the skipped ones into kinds
/// (counted once each in the report, never judged). Frames cut by the snapshot length are skipped, and so is
/// every other frame of their flow: a flow with missing bytes cannot be judged.</summary>
public sealed class ReplayTraffic
{
    private readonly ReplayUse[] _use;

    public ReplayTraffic(IReadOnlyList<ReplayFrame> frames, ReplayRole role)
    {
        _use = new ReplayUse[frames.Count == 0 ? 0 : frames.Max(f => f.Number)]; // by frame number: frames are in time order
        var cut = new HashSet<string>();
        var flows = new string?[frames.Count];
        for (int i = 0; i < frames.Count; i++)
        {
            var f = frames[i];
            flows[i] = FlowKey(f, role);
            if (f.Truncated && flows[i] is { } k) cut.Add(k);
        }
        // Echo requests to a group (ping ff02::1, a broadcast ping) are not played, so the answers to them are not judged.
        var groupEchoes = new HashSet<(IpAddress, ushort, ushort)>();
        foreach (var f in frames)
            if (f.IsEchoRequest && f.IsIpMulticast) groupEchoes.Add((f.IpSource, f.IcmpId, f.IcmpSequence));
        for (int i = 0; i < frames.Count; i++)
        {
            var f = frames[i];
            string? skipped = f.IsEchoReply && groupEchoes.Contains((f.IpDestination, f.IcmpId, f.IcmpSequence))
                ? "replies to multicast/broadcast echo requests" : SkipReason(f, role);
            if (skipped is null && flows[i] is { } k && cut.Contains(k))
                skipped = f.Truncated ? "frames cut by the snapshot length" : "frames of a flow with frames cut by the snapshot length";
            else if (skipped is null && f.Truncated)
                skipped = "frames cut by the snapshot length";
            if (skipped is not null)
            {
                _use[f.Number - 1] = ReplayUse.Skipped;
                if (!Skipped.TryGetValue(skipped, out var list)) Skipped[skipped] = list = new();
                list.Add(f.Number);
            }
            else _use[f.Number - 1] = role.SentBy(f) ? ReplayUse.Expected : ReplayUse.Played;
        }
        foreach (var k in cut) CutFlows.Add(k);
    }

    public ReplayUse Use(ReplayFrame f) => _use[f.Number - 1];

    /// <summary>Skipped frames by kind, with their numbers (in time order).</summary>
    public Dictionary<string, List<int>> Skipped { get; } = new();

    /// <summary>Flows (by <see cref="FlowKey"/>) left unjudged because frames of theirs were cut.</summary>
    public HashSet<string> CutFlows { get; } = new();

    /// <summary>One line per skipped kind: "skipped   LLDP (ethertype 0x88cc): 1 frame (first #14)", by the lowest
    /// frame number of each (the order Wireshark's list shows them in, whatever the records' time order).</summary>
    public IEnumerable<string> Lines() =>
        Skipped.Select(s => (Kind: s.Key, s.Value.Count, First: s.Value.Min()))
            .OrderBy(s => s.First)
            .Select(s => $"{"skipped",-18} {s.Kind}: {s.Count} frame{(s.Count == 1 ? "" : "s")} (first #{s.First})");

    /// <summary>Transport flow of an IP frame to or from the endpoint (ports included), else null.</summary>
    public static string? FlowKey(ReplayFrame f, ReplayRole role)
    {
        if (!f.IsIp) return f.Truncated ? TruncatedFlowKey(f, role) : null;
        return KeyOf(f.IpSource, f.IpDestination, f.Protocol, f.IsFirstFragment && (f.IsTcp || f.IsUdp), f.SourcePort, f.DestinationPort, role);
    }

    private static string? KeyOf(IpAddress src, IpAddress dst, byte protocol, bool ports, ushort sp, ushort dp, ReplayRole role)
    {
        bool outbound = role.Owns(src);
        if (!outbound && !role.Owns(dst)) return null;
        var peer = outbound ? dst : src;
        if (ports && protocol is 6 or 17)
            return $"{(protocol == 6 ? "tcp" : "udp")} {ReplayFrame.Endpoint(peer, outbound ? dp : sp)} :{(outbound ? sp : dp)}";
        return $"ip {protocol} {ReplayFrame.Ip(peer)}";
    }

    /// <summary>The flow of an IP frame cut short, read from the header bytes that survived (IPv6: when the
    /// transport header directly follows the fixed header).</summary>
    private static string? TruncatedFlowKey(ReplayFrame f, ReplayRole role)
    {
        var b = f.Bytes;
        if (f.EtherType == 0x86dd && b.Length >= 14 + 40)
        {
            byte next = b[20];
            bool hasPorts = next is 6 or 17 && b.Length >= 54 + 4;
            return KeyOf(Ipv6Address.Read(b.AsSpan(22)), Ipv6Address.Read(b.AsSpan(38)), next, hasPorts,
                hasPorts ? BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(54)) : (ushort)0, hasPorts ? BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(56)) : (ushort)0, role);
        }
        if (f.EtherType != 0x0800 || b.Length < 34) return null;
        byte protocol = b[23];
        int l4 = 14 + (b[14] & 15) * 4;
        bool first = (BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(20)) & 0x1fff) == 0;
        bool ports = (protocol == 6 || protocol == 17) && first && b.Length >= l4 + 4;
        return KeyOf(Ipv4Address.Read(b.AsSpan(26)), Ipv4Address.Read(b.AsSpan(30)), protocol, ports,
            ports ? BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(l4)) : (ushort)0, ports ? BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(l4 + 2)) : (ushort)0, role);
    }

    /// <summary>The kind of an IPv6 interface's housekeeping frame (duplicate address detection, router discovery,
    /// redirects, MLD), or null: its timing is the interface's start-up and the kernel's, not a flow's, so neither
    /// the capture's nor the endpoint's are judged.</summary>
    public static string? Housekeeping(ReplayFrame f)
    {
        if (!f.IsIpv6 || !f.IsIcmp) return null;
        if ((f.IsNeighborSolicitation || f.IsNeighborAdvertisement) && f.IpSource.Ipv6.IsUnspecified) return "IPv6 duplicate address detection";
        if (f.IsNdp && f.IcmpType is 133 or 134 or 137) return "IPv6 router discovery and redirects (ICMPv6 133, 134, 137)";
        if (f.IcmpType is 130 or 131 or 132 or 143) return "MLD (ICMPv6 130-132, 143)";
        return null;
    }

    private static string? SkipReason(ReplayFrame f, ReplayRole role)
    {
        if (f.Filtered) return "not selected by --filter";
        if (f.IsArp)
        {
            // ARP between other hosts is harmless to inject (our stack only merges what it already knows),
            // but it is not ours to judge.
            return role.SentBy(f) || role.Owns(f.ArpTargetIp) ? null : "ARP of other hosts";
        }
        if (!f.IsIp)
        {
            if (f.EtherType == 0x0800) return f.Truncated ? "frames cut by the snapshot length" : "malformed IPv4";
            if (f.EtherType == 0x86dd) return f.Truncated ? "frames cut by the snapshot length" : "malformed IPv6";
            return f.EtherType switch
            {
                0x88cc => "LLDP (ethertype 0x88cc)",
                0x8035 => "RARP (ethertype 0x8035)",
                _ when f.EtherType < 0x0600 => "IEEE 802.3 frames (length field, LLC)",
                _ => $"ethertype 0x{f.EtherType:x4}",
            };
        }
        string family = f.IsIpv6 ? "IPv6" : "IPv4";
        if (f.IsUdp && (f.DestinationPort == 5353 || f.SourcePort == 5353)) return "mDNS (UDP 5353)";
        if (f.IsIpv6)
        {
            // Neighbour discovery is IPv6's ARP: solicitations (to a solicited-node group) and advertisements of the
            // endpoint and for it are judged; duplicate address detection, router discovery and MLD are the
            // interface's start-up housekeeping, whose timing is the capture tool's and the kernel's, not a flow's.
            if (Housekeeping(f) is { } kind) return kind;
            if (f.IsNeighborSolicitation || f.IsNeighborAdvertisement)
            {
                // The replay gives an endpoint IPv6 only for its global addresses (our stack, the kernel's tap): with
                // a link-local one alone (IPv6 start-up noise, a ping to ff02::1 answered or not depending on whether
                // duplicate address detection had finished) it has no neighbour discovery to judge.
                if (!role.Ipv6.Any()) return "neighbour discovery of an endpoint with only a link-local address (the replay gives it no IPv6)";
                if (role.SentBy(f) && role.Owns(f.IpSource)) return null;
                return role.Owns(f.NdTarget) || role.Owns(f.IpDestination) ? null : "NDP of other hosts";
            }
        }
        string group = f.IsIpv6 ? "IPv6 multicast" : "IPv4 multicast/broadcast";
        if (f.IsIpMulticast) return role.SentBy(f) ? $"{group} sent by the endpoint (no application to replay it)" : group;
        // A receiver drops a header with a bad checksum (never offloaded, unlike TCP's and UDP's): not played.
        if (f.IsIpv4 && !role.SentBy(f) && Checksum.Compute(f.Bytes.AsSpan(14, f.IpHeaderLength)) != 0) return "IPv4 header checksum bad (a receiver drops it)";
        if (role.Owns(f.IpSource) && role.SentBy(f)) return null;
        if (role.Owns(f.IpDestination) && !role.SentBy(f)) return null;
        return $"{family} between other hosts";
    }
}
