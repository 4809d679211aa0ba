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
            flows[i] = FlowKey(f, role.Address);
            if (f.Truncated && flows[i] is { } k) cut.Add(k);
        }
        for (int i = 0; i < frames.Count; i++)
        {
            var f = frames[i];
            string? skipped = SkipReason(f, role);
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

    /// <summary>One line per skipped kind: "skipped   IPv6 (ethertype 0x86dd): 14 frames (first #1)", by the lowest
    /// frame number of each (the order Wireshark's list shows them in, whatever the records' time order).</summary>
    public IEnumerable<string> Lines() =>
        Skipped.Select(s => (Kind: s.Key, s.Value.Count, First: s.Value.Min()))
            .OrderBy(s => s.First)
            .Select(s => $"{"skipped",-18} {s.Kind}: {s.Count} frame{(s.Count == 1 ? "" : "s")} (first #{s.First})");

    /// <summary>Transport flow of an IPv4 frame to or from <paramref name="us"/> (ports included), else null.</summary>
    public static string? FlowKey(ReplayFrame f, uint us)
    {
        if (!f.IsIpv4) return f.Truncated ? TruncatedFlowKey(f, us) : null;
        if (f.IpSource != us && f.IpDestination != us) return null;
        uint peer = f.IpSource == us ? f.IpDestination : f.IpSource;
        if (!f.IsFirstFragment) return $"ip {f.Protocol} {ReplayFrame.Ip(peer)}";
        if (f.IsTcp || f.IsUdp)
        {
            bool outbound = f.IpSource == us;
            return $"{(f.IsTcp ? "tcp" : "udp")} {ReplayFrame.Ip(peer)}:{(outbound ? f.DestinationPort : f.SourcePort)} :{(outbound ? f.SourcePort : f.DestinationPort)}";
        }
        return $"ip {f.Protocol} {ReplayFrame.Ip(peer)}";
    }

    /// <summary>The flow of an IPv4 frame cut short, read from the header bytes that survived.</summary>
    private static string? TruncatedFlowKey(ReplayFrame f, uint us)
    {
        var b = f.Bytes;
        if (f.EtherType != 0x0800 || b.Length < 34) return null;
        uint src = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(26));
        uint dst = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(30));
        if (src != us && dst != us) return null;
        byte protocol = b[23];
        int l4 = 14 + (b[14] & 15) * 4;
        bool first = (System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(20)) & 0x1fff) == 0;
        uint peer = src == us ? dst : src;
        if ((protocol == 6 || protocol == 17) && first && b.Length >= l4 + 4)
        {
            ushort sp = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(l4));
            ushort dp = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(l4 + 2));
            bool outbound = src == us;
            return $"{(protocol == 6 ? "tcp" : "udp")} {ReplayFrame.Ip(peer)}:{(outbound ? dp : sp)} :{(outbound ? sp : dp)}";
        }
        return $"ip {protocol} {ReplayFrame.Ip(peer)}";
    }

    private static string? SkipReason(ReplayFrame f, ReplayRole role)
    {
        if (f.Filtered) return "not selected by --filter";
        if (f.IsArp)
        {
            // ARP between other hosts is harmless to inject (our stack only merges what it already knows),
            // but it is not ours to judge.
            return role.SentBy(f) || f.ArpTargetIp == role.Address ? null : "ARP of other hosts";
        }
        if (!f.IsIpv4)
        {
            if (f.EtherType == 0x0800) return f.Truncated ? "frames cut by the snapshot length" : "malformed IPv4";
            return f.EtherType switch
            {
                0x86dd => "IPv6 (ethertype 0x86dd; replay plays IPv4 flows only)",
                0x88cc => "LLDP (ethertype 0x88cc)",
                0x8035 => "RARP (ethertype 0x8035)",
                _ when f.EtherType < 0x0600 => "IEEE 802.3 frames (length field, LLC)",
                _ => $"ethertype 0x{f.EtherType:x4}",
            };
        }
        uint dst = f.IpDestination;
        bool multicast = dst >> 28 == 14, broadcast = dst == 0xffffffff || (dst & 0xff) == 0xff;
        if (f.IsUdp && (f.DestinationPort == 5353 || f.SourcePort == 5353)) return "mDNS (UDP 5353)";
        if (multicast || broadcast) return role.SentBy(f)
            ? "IPv4 multicast/broadcast sent by the endpoint (no application to replay it)"
            : "IPv4 multicast/broadcast";
        // A receiver drops a header with a bad checksum (never offloaded, unlike TCP's and UDP's): not played.
        if (!role.SentBy(f) && Netstack.Wire.Checksum.Compute(f.Bytes.AsSpan(14, f.IpHeaderLength)) != 0) return "IPv4 header checksum bad (a receiver drops it)";
        if (f.IpSource == role.Address && role.SentBy(f)) return null;
        if (f.IpDestination == role.Address && !role.SentBy(f)) return null;
        return "IPv4 between other hosts";
    }
}
