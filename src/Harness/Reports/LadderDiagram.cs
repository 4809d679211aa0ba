using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Wire;
using static Netstack.Harness.Reports.HtmlText;
using Netstack.Time;

namespace Netstack.Harness.Reports;

/// <summary>A ladder (sequence) diagram of a recording: one lane per host, one arrow per frame from its sender
/// to the host its destination MAC names (a broadcast spans the hosts of its segment), with the virtual time on
/// the left, a short label on the arrow (TCP sequence numbers relative, as Wireshark shows them) and the full
/// dissection on the right. What a fault did is marked where it happened: a dropped copy ends in a cross before
/// the host it never reached; duplicated, corrupted, delayed and truncated copies carry a badge.
/// Frames past <see cref="DefaultMaxFrames"/> are left out (a note says which); frames a failure cites are kept.</summary>
public static class LadderDiagram
{
    public const int DefaultMaxFrames = 400;
    private const double RowHeight = 20, HeaderHeight = 40, TimeColumn = 92, FirstLane = 150, LaneSpacing = 300, Gap = 40;

    public sealed record Drawn(int Arrows, int FaultMarks, int Omitted);

    public static Drawn Render(StringBuilder html, Scenario? scenario, IReadOnlyList<CapturedFrame> frames, string id,
        IReadOnlySet<int> cited, int maxFrames = DefaultMaxFrames)
    {
        var lanes = new List<string>();
        var hostOfMac = new Dictionary<MacAddress, string>();
        var hostsOnSegment = new Dictionary<string, List<string>>();
        if (scenario is not null)
            foreach (var h in scenario.Hosts)
            {
                lanes.Add(h.Name);
                foreach (var i in h.Interfaces)
                {
                    hostOfMac.TryAdd(i.Mac, h.Name);
                    if (!hostsOnSegment.TryGetValue(i.Segment, out var list)) hostsOnSegment[i.Segment] = list = new();
                    if (!list.Contains(h.Name)) list.Add(h.Name);
                }
            }
        foreach (var f in frames)
            if (!lanes.Contains(f.Host)) lanes.Add(f.Host);
        if (lanes.Count == 0) lanes.Add("?");
        // A capture without a scenario (replay) learns the hosts' MACs from who sent what.
        foreach (var f in frames)
            hostOfMac.TryAdd(f.Source, f.Host);
        bool unknownLane = false;

        var shown = Select(frames.Count, cited, maxFrames);
        var labels = new TcpLabels();
        var rows = new List<(CapturedFrame? Frame, int GapFrom, int GapTo)>();
        int previous = 0;
        foreach (var n in shown)
        {
            if (n > previous + 1) rows.Add((null, previous + 1, n - 1));
            rows.Add((frames[n - 1], 0, 0));
            previous = n;
        }
        if (previous < frames.Count) rows.Add((null, previous + 1, frames.Count));
        // Targets first: a frame to an unknown MAC needs the "?" lane.
        var targets = new Dictionary<int, List<string>>();
        foreach (var (f, _, _) in rows)
        {
            if (f is null) continue;
            var t = Targets(f, hostOfMac, hostsOnSegment, lanes);
            if (t.Count == 0) { t.Add("?"); unknownLane = true; }
            targets[f.Number] = t;
        }
        if (unknownLane) lanes.Add("?");
        // Labels need every TCP segment in order (ISNs, highest sequence sent), drawn or not.
        var tcpText = new Dictionary<int, (string Label, bool Retransmission)>();
        foreach (var f in frames)
            if (labels.Next(f) is { } l) tcpText[f.Number] = l;

        double laneX(int i) => FirstLane + i * LaneSpacing;
        // The dissection column starts clear of the last host's name, which is centred on its lane.
        double descX = laneX(lanes.Count - 1) + Math.Max(Gap, lanes[^1].Length * 4.5 + 12);
        // Wide enough for the longest dissection with its notes (11px monospace: about 6.7px a character).
        int longest = rows.Where(r => r.Frame is not null).Select(r => r.Frame!).Select(f =>
            6 + FrameDissector.Describe(f).Length + f.Notes.Sum(n => n.Length + 3) + (f.Step?.Length + 3 ?? 0) + 17).DefaultIfEmpty(80).Max();
        double width = descX + Math.Max(640, longest * 6.7 + 16), height = HeaderHeight + rows.Count * RowHeight + 8;
        html.Append("<svg class=\"ladder\" id=\"").Append(id).Append("\" width=\"").Append(Num(width)).Append("\" height=\"").Append(Num(height))
            .Append("\" viewBox=\"0 0 ").Append(Num(width)).Append(' ').Append(Num(height)).Append("\">\n");
        html.Append("<text class=\"colhead\" x=\"").Append(Num(TimeColumn)).Append("\" y=\"16\" text-anchor=\"end\">time (s)</text>\n");
        html.Append("<text class=\"colhead\" x=\"").Append(Num(descX)).Append("\" y=\"16\">frame</text>\n");
        for (int i = 0; i < lanes.Count; i++)
        {
            html.Append("<text class=\"host\" x=\"").Append(Num(laneX(i))).Append("\" y=\"18\" text-anchor=\"middle\">").Append(Escape(lanes[i])).Append("</text>\n");
            html.Append("<line class=\"lane\" x1=\"").Append(Num(laneX(i))).Append("\" x2=\"").Append(Num(laneX(i))).Append("\" y1=\"26\" y2=\"").Append(Num(height - 4)).Append("\"/>\n");
        }
        int arrows = 0, marks = 0, omitted = 0;
        for (int r = 0; r < rows.Count; r++)
        {
            double top = HeaderHeight + r * RowHeight, mid = top + RowHeight / 2 + 3;
            var (f, gapFrom, gapTo) = rows[r];
            if (f is null)
            {
                omitted += gapTo - gapFrom + 1;
                html.Append("<g class=\"gap\"><rect class=\"gaprow\" x=\"0\" y=\"").Append(Num(top + 2)).Append("\" width=\"").Append(Num(width)).Append("\" height=\"")
                    .Append(Num(RowHeight - 4)).Append("\"/><text x=\"").Append(Num(descX)).Append("\" y=\"").Append(Num(mid)).Append("\">\u22ef frames #")
                    .Append(gapFrom).Append("\u2013#").Append(gapTo).Append(" (").Append(gapTo - gapFrom + 1).Append(") not drawn; the graphs below include them \u22ef</text></g>\n");
                continue;
            }
            int from = lanes.IndexOf(f.Host);
            var to = targets[f.Number].Select(t => lanes.IndexOf(t)).ToList();
            int far = to.OrderByDescending(t => Math.Abs(t - from)).First();
            if (far == from) far = from + (from + 1 < lanes.Count ? 1 : -1);
            var losses = f.Notes.Where(FrameNotes.IsLoss).ToList();
            bool allLost = losses.Count > 0 && (losses.Any(n => FrameNotes.Target(n) is null) ||
                                                to.All(t => losses.Any(n => FrameNotes.Target(n) == lanes[t])));
            bool rtx = tcpText.TryGetValue(f.Number, out var tcp) && tcp.Retransmission;
            string kind = Kind(f.Bytes);
            html.Append("<g class=\"row").Append(cited.Contains(f.Number) ? " cited" : "").Append("\" id=\"").Append(id).Append("-f").Append(f.Number).Append("\">");
            html.Append("<rect class=\"bg\" x=\"0\" y=\"").Append(Num(top)).Append("\" width=\"").Append(Num(width)).Append("\" height=\"").Append(Num(RowHeight)).Append("\"/>");
            html.Append("<title>").Append(Escape(FrameDissector.Line(f))).Append("</title>");
            html.Append("<text class=\"time\" x=\"").Append(Num(TimeColumn)).Append("\" y=\"").Append(Num(mid)).Append("\" text-anchor=\"end\">")
                .Append(FrameDissector.FormatSeconds(f.Time)).Append("</text>");
            double x1 = laneX(from), x2 = laneX(far), dir = Math.Sign(x2 - x1), ay = top + RowHeight - 5;
            double end = allLost ? x2 - dir * 22 : x2 - dir * 1;
            html.Append("<path class=\"arrow ").Append(kind).Append(allLost ? " lost" : "").Append(rtx ? " rtx" : "").Append("\" d=\"M")
                .Append(Num(x1)).Append(' ').Append(Num(ay)).Append("H").Append(Num(end));
            if (!allLost) html.Append("M").Append(Num(end)).Append(' ').Append(Num(ay)).Append("l").Append(Num(-dir * 7)).Append("-3.5v7z");
            html.Append("\"/>");
            arrows++;
            // Receivers between the sender and the far end of a broadcast get a dot.
            foreach (var t in to.Where(t => t != far))
                html.Append("<circle class=\"rx\" cx=\"").Append(Num(laneX(t))).Append("\" cy=\"").Append(Num(ay)).Append("\" r=\"2.5\"/>");
            string label = tcp.Label ?? ShortLabel(f.Bytes);
            html.Append("<text class=\"label").Append(rtx ? " rtx" : "").Append("\" x=\"").Append(Num((x1 + x2) / 2)).Append("\" y=\"").Append(Num(ay - 3))
                .Append("\" text-anchor=\"middle\">").Append(Escape(label)).Append("</text>");
            // Fault marks at the lane of the host a note names (or just before the far end when it names none).
            int markIndex = 0;
            foreach (var note in f.Notes)
            {
                if (FrameNotes.Kind(note) is not { } k) continue;
                int lane = FrameNotes.Target(note) is { } target && lanes.IndexOf(target) is >= 0 and var li ? li : far;
                // Clear of the arrowhead; a second mark on the same frame goes further back.
                double mx = laneX(lane) - dir * (k == "drop" ? 14 + 56 * markIndex++ : 38 + 56 * markIndex++);
                if (k == "drop")
                    html.Append("<path class=\"fault drop\" d=\"M").Append(Num(mx - 5)).Append(' ').Append(Num(ay - 5)).Append("l10 10m0-10l-10 10\"><title>")
                        .Append(Escape(note)).Append("</title></path>");
                else
                    html.Append("<g class=\"fault ").Append(k).Append("\"><title>").Append(Escape(note)).Append("</title><rect x=\"").Append(Num(mx - 25)).Append("\" y=\"")
                        .Append(Num(ay - 6)).Append("\" width=\"50\" height=\"12\" rx=\"3\"/><text x=\"").Append(Num(mx)).Append("\" y=\"").Append(Num(ay + 3))
                        .Append("\" text-anchor=\"middle\">").Append(Badge(k)).Append("</text></g>");
                marks++;
            }
            html.Append("<text class=\"desc").Append(rtx ? " rtx" : "").Append("\" x=\"").Append(Num(descX)).Append("\" y=\"").Append(Num(mid)).Append("\"><tspan class=\"num\">#")
                .Append(f.Number).Append("</tspan> ").Append(Escape(FrameDissector.Describe(f)));
            if (rtx) html.Append("<tspan class=\"note\"> [retransmission]</tspan>");
            foreach (var note in f.Notes) html.Append("<tspan class=\"note\"> [").Append(Escape(note)).Append("]</tspan>");
            if (f.Step is { } step) html.Append("<tspan class=\"step\"> \u2190 ").Append(Escape(step)).Append("</tspan>");
            html.Append("</text></g>\n");
        }
        html.Append("</svg>\n");
        return new Drawn(arrows, marks, omitted);
    }

    /// <summary>Frame numbers to draw: every frame up to the cap; past it, the frames a failure cites with a few
    /// neighbours each, then the first frames of the run.</summary>
    public static SortedSet<int> Select(int count, IReadOnlySet<int> cited, int max)
    {
        var shown = new SortedSet<int>();
        if (count <= max)
        {
            for (int n = 1; n <= count; n++) shown.Add(n);
            return shown;
        }
        foreach (var c in cited.Where(c => c >= 1 && c <= count).Order())
            for (int n = Math.Max(1, c - 8); n <= Math.Min(count, c + 8) && shown.Count < max / 2; n++)
                shown.Add(n);
        for (int n = 1; n <= count && shown.Count < max; n++) shown.Add(n);
        return shown;
    }

    private static List<string> Targets(CapturedFrame f, Dictionary<MacAddress, string> hostOfMac,
        Dictionary<string, List<string>> hostsOnSegment, List<string> lanes)
    {
        var destination = f.Destination;
        if (IsMulticast(f.Bytes)) // broadcast included
        {
            var peers = f.Segment is { } seg && hostsOnSegment.TryGetValue(seg, out var list) ? list : lanes;
            return peers.Where(h => h != f.Host && h != "?").ToList();
        }
        return hostOfMac.TryGetValue(destination, out var host) && host != f.Host ? [host] : [];
    }

    private static bool IsMulticast(byte[] frame) => frame.Length > 0 && (frame[0] & 1) != 0;

    private static string Kind(byte[] frame)
    {
        if (frame.Length < 14) return "other";
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));
        if (type == 0x0806) return "arp";
        if (type != 0x0800 || frame.Length < 34) return "other";
        return frame[23] switch { 6 => "tcp", 17 => "udp", 1 => "icmp", _ => "other" };
    }

    private static string Badge(string kind) => kind switch
    {
        "dup" => "DUP",
        "corrupt" => "CORRUPT",
        "delay" => "DELAY",
        "trunc" => "TRUNC",
        _ => kind.ToUpperInvariant(),
    };

    /// <summary>A label short enough for the arrow; the full dissection is in the right-hand column.</summary>
    private static string ShortLabel(byte[] f)
    {
        if (f.Length < 14) return "runt";
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12));
        if (type == 0x0806 && f.Length >= 42)
        {
            ushort op = BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(20));
            return op == 1 ? $"ARP who-has {Ip(f, 38)}" : op == 2 ? $"ARP {Ip(f, 28)} is-at" : $"ARP op {op}";
        }
        if (type != 0x0800 || f.Length < 34) return $"ethertype 0x{type:x4}";
        int ihl = (f[14] & 15) * 4;
        ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(20));
        string frag = (fragment & 0x3FFF) != 0 ? $" frag @{(fragment & 0x1FFF) * 8}{((fragment & 0x2000) != 0 ? "+" : "")}" : "";
        if ((fragment & 0x1FFF) != 0) return "IP" + frag;
        int l4 = 14 + ihl;
        switch (f[23])
        {
            case 1 when f.Length >= l4 + 8:
                ushort seq = BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(l4 + 6));
                return f[l4] switch
                {
                    8 => $"ICMP echo request seq {seq}",
                    0 => $"ICMP echo reply seq {seq}",
                    3 => $"ICMP unreachable code {f[l4 + 1]}",
                    11 => "ICMP time exceeded",
                    _ => $"ICMP type {f[l4]}",
                } + frag;
            case 17 when f.Length >= l4 + 8:
                return $"UDP {BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(l4))} \u2192 {BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(l4 + 2))}, {BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(l4 + 4)) - 8} B" + frag;
            default:
                return $"IP proto {f[23]}" + frag;
        }
    }

    private static string Ip(byte[] f, int at) => $"{f[at]}.{f[at + 1]}.{f[at + 2]}.{f[at + 3]}";

    /// <summary>TCP arrow labels in Wireshark's relative numbering, and which segments repeat sequence space
    /// already sent (retransmissions).</summary>
    private sealed class TcpLabels
    {
        private readonly Dictionary<(Netstack.Wire.IpAddress, ushort, Netstack.Wire.IpAddress, ushort), (uint Isn, long Highest)> _flows = new();

        public (string Label, bool Retransmission)? Next(CapturedFrame f)
        {
            if (TcpView.Read(f.Bytes) is not { } v) return null;
            var key = (v.Source, v.SourcePort, v.Destination, v.DestinationPort);
            var reverse = (v.Destination, v.DestinationPort, v.Source, v.SourcePort);
            bool syn = (v.Flags & TcpView.Syn) != 0, fin = (v.Flags & TcpView.Fin) != 0;
            if (!_flows.TryGetValue(key, out var flow) || (syn && (v.Flags & TcpView.Ack) == 0 && flow.Isn != v.Sequence))
                flow = (v.Sequence, 0);
            long rel = (uint)(v.Sequence - flow.Isn);
            long length = v.PayloadLength + (syn ? 1 : 0) + (fin ? 1 : 0);
            bool rtx = length > 0 && rel < flow.Highest;
            _flows[key] = (flow.Isn, Math.Max(flow.Highest, rel + length));
            var sb = new StringBuilder();
            sb.Append('[').Append(TcpView.FlagText(v.Flags)).Append("] seq ").Append(rel.ToString(CultureInfo.InvariantCulture));
            if (v.PayloadLength > 0) sb.Append(':').Append((rel + v.PayloadLength).ToString(CultureInfo.InvariantCulture));
            if ((v.Flags & TcpView.Ack) != 0)
                sb.Append(" ack ").Append(_flows.TryGetValue(reverse, out var back)
                    ? ((uint)(v.Acknowledgment - back.Isn)).ToString(CultureInfo.InvariantCulture)
                    : v.Acknowledgment.ToString(CultureInfo.InvariantCulture));
            // Data segments say how much; pure ACKs say how much room (the raw field, unscaled, as on the wire).
            if (v.PayloadLength > 0) sb.Append(" len ").Append(v.PayloadLength.ToString(CultureInfo.InvariantCulture));
            else sb.Append(" win ").Append(v.Window.ToString(CultureInfo.InvariantCulture));
            return (sb.ToString(), rtx);
        }
    }
}
