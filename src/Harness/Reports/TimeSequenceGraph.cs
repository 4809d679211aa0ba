using System.Globalization;
using System.Text;
using static Netstack.Harness.Reports.HtmlText;
using Netstack.Time;

namespace Netstack.Harness.Reports;

/// <summary>The time-sequence graph of one direction of a TCP connection, as tcptrace and Wireshark's Stevens
/// graph draw it: each data segment a vertical bar from its first to its last sequence number at the time it
/// was sent (retransmissions red, segments a fault kept from the receiver crossed out), the receiver's
/// cumulative ACK as a step line, ACK + receive window (scaled) above it, and each SACK block as a short
/// bar at the time of the ACK that carried it. Sequence numbers are relative to the sender's ISN.</summary>
public static class TimeSequenceGraph
{
    private const double Width = 960, Height = 380, Left = 72, Right = 16, Top = 14, Bottom = 40;

    /// <summary>Figures of one direction, shown above the graph and used by tests.</summary>
    public sealed record Summary(long Bytes, int DataSegments, int Retransmissions, int Lost, int DuplicateAcks, int SackBlocks, int WindowProbes);

    public static Summary Render(StringBuilder html, TcpConnection connection, bool fromClient, string id)
    {
        var data = fromClient ? connection.FromClient : connection.FromServer;
        var acks = (fromClient ? connection.FromServer : connection.FromClient).Where(s => s.HasAck && !s.Rst).ToList();
        var synSender = data.FirstOrDefault(s => s.Syn);
        var synReceiver = (fromClient ? connection.FromServer : connection.FromClient).FirstOrDefault(s => s.Syn);
        uint isn = synSender?.View.Sequence ?? data.FirstOrDefault()?.View.Sequence
                   ?? acks.FirstOrDefault()?.View.Acknowledgment ?? 0;
        // The receiver's windows are scaled by its own shift, when both SYNs offered scaling (RFC 7323 2.2).
        int shift = synSender is { WindowScale: >= 0 } && synReceiver is { WindowScale: >= 0 } ? synReceiver.WindowScale : 0;
        double Rel(uint seq) => (double)(uint)(seq - isn);

        // Walk the sender's segments: what is new, what repeats sequence space already sent.
        // A one-byte segment sent while the receiver's window is closed is a window probe (RFC 9293 3.8.6.1),
        // not a retransmission, however often that byte is sent again.
        var bars = new List<(TcpSegment S, double From, double To, bool Retransmission, bool Probe)>();
        double highest = double.NegativeInfinity;
        long bytes = 0;
        int retransmissions = 0, lost = 0, probes = 0, ackIndex = 0;
        ushort? receiverWindow = null;
        foreach (var s in data)
        {
            for (; ackIndex < acks.Count && acks[ackIndex].Frame.Number < s.Frame.Number; ackIndex++)
                receiverWindow = acks[ackIndex].View.Window;
            if (s.Length == 0) continue;
            double from = Rel(s.View.Sequence), to = from + s.Length;
            bool probe = s.View.PayloadLength == 1 && !s.Syn && !s.Fin && receiverWindow == 0;
            bool rtx = from < highest && !probe;
            if (probe) probes++;
            if (rtx) retransmissions++;
            else bytes += s.View.PayloadLength;
            if (s.Lost) lost++;
            highest = Math.Max(highest, to);
            bars.Add((s, from, to, rtx, probe));
        }
        // The receiver's view: cumulative ACK, window edge, SACK blocks, duplicate ACKs.
        var ackPoints = new List<(Instant T, double Ack, double Edge, TcpSegment S, bool Duplicate)>();
        double? lastAck = null;
        int duplicates = 0, sackBlocks = 0;
        foreach (var a in acks)
        {
            double ack = Rel(a.View.Acknowledgment);
            double window = a.Syn ? a.View.Window : (double)a.View.Window * (1L << shift);
            bool duplicate = lastAck == ack && a.View.PayloadLength == 0 && !a.Syn && !a.Fin;
            if (duplicate) duplicates++;
            sackBlocks += a.Sack.Count;
            ackPoints.Add((a.Time, ack, ack + window, a, duplicate));
            lastAck = ack;
        }

        var all = data.Concat(acks).ToList();
        if (all.Count == 0) return new Summary(0, 0, 0, 0, 0, 0, 0);
        Instant t0 = all.Min(s => s.Time), t1 = all.Max(s => s.Time);
        double pad = Math.Max((t1 - t0).Nanoseconds * 0.03, 50_000); // at least 50 µs either side, in nanoseconds
        var x = new PlotAxis((t0.Nanoseconds - pad) / Duration.NanosecondsPerMillisecond, (t1.Nanoseconds + pad) / Duration.NanosecondsPerMillisecond, Left, Width - Right);
        double dataTop = Math.Max(bars.Count > 0 ? bars.Max(b => b.To) : 1, ackPoints.Count > 0 ? ackPoints.Max(p => p.Ack) : 1);
        double edgeTop = ackPoints.Count > 0 ? ackPoints.Max(p => p.Edge) : dataTop;
        // A window far above the data would squash it to a line: show up to half as much again as the data, clip the rest.
        double yMax = Math.Max(dataTop, Math.Min(edgeTop, dataTop * 1.5)) * 1.04 + 1;
        double yMin = Math.Min(0, bars.Count > 0 ? bars.Min(b => b.From) : 0);
        var y = new PlotAxis(yMin, yMax, Height - Bottom, Top);

        html.Append("<svg class=\"tsg\" id=\"").Append(id).Append("\" viewBox=\"0 0 ").Append(Num(Width)).Append(' ').Append(Num(Height))
            .Append("\" role=\"img\" aria-label=\"time-sequence graph ").Append(Escape(connection.Describe(fromClient))).Append("\">\n");
        html.Append("<defs><clipPath id=\"").Append(id).Append("-clip\"><rect x=\"").Append(Num(Left)).Append("\" y=\"").Append(Num(Top))
            .Append("\" width=\"").Append(Num(Width - Left - Right)).Append("\" height=\"").Append(Num(Height - Top - Bottom)).Append("\"/></clipPath></defs>\n");
        Axes(html, x, y);
        html.Append("<g clip-path=\"url(#").Append(id).Append("-clip)\">\n");

        // Window edge and ACK as step lines: each value holds until the next ACK.
        if (ackPoints.Count > 0)
        {
            double end = x[x.Max];
            html.Append("<polyline class=\"win\" points=\"").Append(Steps(ackPoints.Select(p => (x[p.T.TotalMilliseconds], y[p.Edge])), end)).Append("\"><title>receive window edge (ACK + window")
                .Append(shift > 0 ? $" \u00d7 2^{shift}" : "").Append(")</title></polyline>\n");
            html.Append("<polyline class=\"ack\" points=\"").Append(Steps(ackPoints.Select(p => (x[p.T.TotalMilliseconds], y[p.Ack])), end)).Append("\"><title>cumulative ACK</title></polyline>\n");
            foreach (var p in ackPoints)
            {
                double px = x[p.T.TotalMilliseconds];
                for (int i = 0; i < p.S.Sack.Count; i++)
                {
                    var (l, r) = p.S.Sack[i];
                    double sx = px + 2 + i * 2;
                    html.Append("<line class=\"sack\" x1=\"").Append(Num(sx)).Append("\" x2=\"").Append(Num(sx)).Append("\" y1=\"").Append(Num(y[Rel(l)]))
                        .Append("\" y2=\"").Append(Num(y[Rel(r)])).Append("\"><title>#").Append(p.S.Frame.Number).Append(' ').Append(Ms(p.T))
                        .Append(" SACK ").Append(Num(Rel(l))).Append(':').Append(Num(Rel(r))).Append("</title></line>\n");
                }
                if (p.Duplicate)
                    html.Append("<path class=\"dupack\" d=\"M").Append(Num(px)).Append(' ').Append(Num(y[p.Ack] - 3)).Append("l3 3-3 3-3-3z\"><title>#")
                        .Append(p.S.Frame.Number).Append(' ').Append(Ms(p.T)).Append(" duplicate ACK ").Append(Num(p.Ack)).Append("</title></path>\n");
            }
        }
        foreach (var (s, from, to, rtx, probe) in bars)
        {
            double px = x[s.Time.TotalMilliseconds], y1 = y[from], y2 = y[to];
            string cls = rtx ? "seg rtx" : probe ? "seg probe" : "seg";
            if (s.Lost) cls += " lost";
            html.Append("<path class=\"").Append(cls).Append("\" d=\"M").Append(Num(px)).Append(' ').Append(Num(y1)).Append("V").Append(Num(y2))
                .Append("M").Append(Num(px - 2)).Append(' ').Append(Num(y2)).Append("h4M").Append(Num(px - 2)).Append(' ').Append(Num(y1)).Append("h4\"><title>#")
                .Append(s.Frame.Number).Append(' ').Append(Ms(s.Time)).Append(' ').Append(TcpFlags(s)).Append(" seq ").Append(Num(from)).Append(':').Append(Num(to))
                .Append(" (").Append(s.Length).Append(')').Append(rtx ? " retransmission" : probe ? " zero-window probe" : "");
            foreach (var note in s.Frame.Notes) html.Append(" \u2014 ").Append(Escape(note));
            html.Append("</title></path>\n");
            if (rtx)
                html.Append("<circle class=\"rtx-mark\" cx=\"").Append(Num(px)).Append("\" cy=\"").Append(Num(y2 - 5)).Append("\" r=\"3\"><title>#")
                    .Append(s.Frame.Number).Append(" retransmission of ").Append(Num(from)).Append(':').Append(Num(to)).Append("</title></circle>\n");
            if (s.Lost)
                html.Append("<path class=\"drop-mark\" d=\"M").Append(Num(px - 4)).Append(' ').Append(Num((y1 + y2) / 2 - 4)).Append("l8 8m0-8l-8 8\"><title>#")
                    .Append(s.Frame.Number).Append(" never reached the receiver: ").Append(Escape(string.Join("; ", s.Frame.Notes.Where(FrameNotes.IsLoss)))).Append("</title></path>\n");
            if ((s.Syn || s.Fin || s.Rst) && s.View.PayloadLength == 0)
                html.Append("<text class=\"flag\" x=\"").Append(Num(px + 3)).Append("\" y=\"").Append(Num(y2 - 2)).Append("\">").Append(s.Syn ? "SYN" : s.Fin ? "FIN" : "RST").Append("</text>\n");
        }
        html.Append("</g>\n");
        if (edgeTop > yMax)
            html.Append("<text class=\"offscale\" x=\"").Append(Num(Width - Right - 6)).Append("\" y=\"").Append(Num(Top + 13)).Append("\" text-anchor=\"end\">\u2191 receive window edge off scale, up to ")
                .Append(PlotAxis.Bytes(edgeTop)).Append(shift > 0 ? $" (window scale {shift})" : "").Append("</text>\n");
        html.Append("</svg>\n");
        return new Summary(bytes, bars.Count(b => b.S.View.PayloadLength > 0), retransmissions, lost, duplicates, sackBlocks, probes);
    }

    private static void Axes(StringBuilder html, PlotAxis x, PlotAxis y)
    {
        html.Append("<g class=\"axes\">\n<rect class=\"frame\" x=\"").Append(Num(Left)).Append("\" y=\"").Append(Num(Top)).Append("\" width=\"").Append(Num(Width - Left - Right))
            .Append("\" height=\"").Append(Num(Height - Top - Bottom)).Append("\"/>\n");
        double xStep = PlotAxis.NiceStep((x.Max - x.Min) / 10);
        foreach (var t in x.Ticks(10))
        {
            double px = x[t];
            html.Append("<line class=\"grid\" x1=\"").Append(Num(px)).Append("\" x2=\"").Append(Num(px)).Append("\" y1=\"").Append(Num(Top)).Append("\" y2=\"").Append(Num(Height - Bottom))
                .Append("\"/><text class=\"tick\" x=\"").Append(Num(px)).Append("\" y=\"").Append(Num(Height - Bottom + 14)).Append("\" text-anchor=\"middle\">")
                .Append(PlotAxis.Milliseconds(t, xStep)).Append("</text>\n");
        }
        foreach (var v in y.Ticks(8))
        {
            double py = y[v];
            html.Append("<line class=\"grid\" x1=\"").Append(Num(Left)).Append("\" x2=\"").Append(Num(Width - Right)).Append("\" y1=\"").Append(Num(py)).Append("\" y2=\"").Append(Num(py))
                .Append("\"/><text class=\"tick\" x=\"").Append(Num(Left - 5)).Append("\" y=\"").Append(Num(py + 3.5)).Append("\" text-anchor=\"end\">")
                .Append(PlotAxis.Bytes(v)).Append("</text>\n");
        }
        html.Append("<text class=\"label\" x=\"").Append(Num((Left + Width - Right) / 2)).Append("\" y=\"").Append(Num(Height - 6)).Append("\" text-anchor=\"middle\">virtual time (ms)</text>\n");
        html.Append("<text class=\"label\" transform=\"translate(14 ").Append(Num((Top + Height - Bottom) / 2)).Append(") rotate(-90)\" text-anchor=\"middle\">relative sequence number (bytes)</text>\n</g>\n");
    }

    /// <summary>Points of a step line: each value holds until the next point's time, the last until <paramref name="end"/>.</summary>
    private static string Steps(IEnumerable<(double X, double Y)> points, double end)
    {
        var sb = new StringBuilder();
        double? lastY = null;
        foreach (var (px, py) in points)
        {
            if (lastY is { } ly) sb.Append(Num(px)).Append(',').Append(Num(ly)).Append(' ');
            sb.Append(Num(px)).Append(',').Append(Num(py)).Append(' ');
            lastY = py;
        }
        if (lastY is { } l) sb.Append(Num(end)).Append(',').Append(Num(l));
        return sb.ToString();
    }

    private static string TcpFlags(TcpSegment s) => "[" + Netstack.Harness.Trace.TcpView.FlagText(s.View.Flags) + "]";

    private static string Ms(Instant time) => time.TotalMilliseconds.ToString("0.000###", CultureInfo.InvariantCulture) + " ms";
}
