using System.Buffers.Binary;
using Netstack.Harness.Trace;
using Netstack.Time;
using IpAddress = Netstack.Wire.IpAddress;

namespace Netstack.Harness.Reports;

/// <summary>One TCP segment of a recording, with what the graphs need beyond <see cref="TcpView"/>: the window
/// scale and SACK blocks from its options, and what the wire's faults did to it.</summary>
public sealed record TcpSegment(CapturedFrame Frame, TcpView View, int WindowScale, IReadOnlyList<(uint Left, uint Right)> Sack)
{
    public Instant Time => Frame.Time;
    public bool Syn => (View.Flags & TcpView.Syn) != 0;
    public bool Fin => (View.Flags & TcpView.Fin) != 0;
    public bool Rst => (View.Flags & TcpView.Rst) != 0;
    public bool HasAck => (View.Flags & TcpView.Ack) != 0;

    /// <summary>Sequence space it occupies: payload, plus one each for SYN and FIN.</summary>
    public int Length => View.PayloadLength + (Syn ? 1 : 0) + (Fin ? 1 : 0);

    /// <summary>A fault kept it from its receiver (dropped, or its link was down).</summary>
    public bool Lost => Frame.Notes.Any(FrameNotes.IsLoss);
    public bool Corrupted => Frame.Notes.Any(FrameNotes.IsCorruption);
    public bool Duplicated => Frame.Notes.Any(FrameNotes.IsDuplication);

    public static TcpSegment? Read(CapturedFrame frame)
    {
        if (TcpView.Read(frame.Bytes) is not { } view) return null;
        int scale = -1;
        List<(uint, uint)>? sack = null;
        var tcp = TcpView.Segment(frame.Bytes);
        int dataOffset = Math.Min((tcp[12] >> 4) * 4, tcp.Length);
        var options = dataOffset > 20 ? tcp[20..dataOffset] : default;
        for (int i = 0; i < options.Length;)
        {
            byte kind = options[i];
            if (kind == 0) break;
            if (kind == 1) { i++; continue; }
            if (i + 1 >= options.Length) break;
            int length = options[i + 1];
            if (length < 2 || i + length > options.Length) break;
            if (kind == 3 && length == 3) scale = Math.Min((int)options[i + 2], 14);
            if (kind == 5)
                for (int b = i + 2; b + 8 <= i + length; b += 8)
                    (sack ??= new()).Add((BinaryPrimitives.ReadUInt32BigEndian(options[b..]), BinaryPrimitives.ReadUInt32BigEndian(options[(b + 4)..])));
            i += length;
        }
        return new TcpSegment(frame, view, scale, (IReadOnlyList<(uint, uint)>?)sack ?? []);
    }
}

/// <summary>A TCP connection found in a recording: its two endpoints (the one that sent the first SYN is
/// <see cref="Client"/> when there was one) and every segment of each direction in capture order. A new SYN
/// after the connection was closed by FIN or RST starts a new connection on the same ports.</summary>
public sealed class TcpConnection
{
    public required (IpAddress Address, ushort Port) Client { get; init; }
    public required (IpAddress Address, ushort Port) Server { get; init; }
    public string ClientHost { get; set; } = "";
    public string ServerHost { get; set; } = "";
    public List<TcpSegment> FromClient { get; } = new();
    public List<TcpSegment> FromServer { get; } = new();

    public IEnumerable<TcpSegment> All => FromClient.Concat(FromServer).OrderBy(s => s.Frame.Number);

    public string Describe(bool fromClient)
    {
        var (src, dst) = fromClient ? (Client, Server) : (Server, Client);
        var (srcHost, dstHost) = fromClient ? (ClientHost, ServerHost) : (ServerHost, ClientHost);
        return $"{srcHost} {Endpoint(src)} \u2192 {dstHost} {Endpoint(dst)}";
    }

    public static string Endpoint((IpAddress Address, ushort Port) e) =>
        e.Address.IsIpv4 ? $"{e.Address}:{e.Port}" : $"[{e.Address}]:{e.Port}";

    /// <summary>The connections of a recording, in the order of their first segment.</summary>
    public static List<TcpConnection> FindAll(IReadOnlyList<CapturedFrame> frames)
    {
        var all = new List<TcpConnection>();
        var open = new Dictionary<(IpAddress, ushort, IpAddress, ushort), TcpConnection>();
        var closing = new HashSet<TcpConnection>();
        foreach (var frame in frames)
        {
            if (TcpSegment.Read(frame) is not { } s) continue;
            var v = s.View;
            var key = v.Source.Value.CompareTo(v.Destination.Value) < 0 || (v.Source == v.Destination && v.SourcePort <= v.DestinationPort)
                ? (v.Source, v.SourcePort, v.Destination, v.DestinationPort)
                : (v.Destination, v.DestinationPort, v.Source, v.SourcePort);
            bool freshSyn = s.Syn && !s.HasAck;
            if (open.TryGetValue(key, out var c) && freshSyn && closing.Contains(c) && !c.FromClient.Concat(c.FromServer).Any(x => x.Syn && !x.HasAck && x.View.Sequence == v.Sequence))
                c = null; // a new incarnation (TIME-WAIT reuse): a new connection
            if (c is null)
            {
                bool clientSends = freshSyn || !(s.Syn && s.HasAck);
                c = new TcpConnection
                {
                    Client = clientSends ? (v.Source, v.SourcePort) : (v.Destination, v.DestinationPort),
                    Server = clientSends ? (v.Destination, v.DestinationPort) : (v.Source, v.SourcePort),
                };
                open[key] = c;
                closing.Remove(c);
                all.Add(c);
            }
            bool fromClient = v.Source == c.Client.Address && v.SourcePort == c.Client.Port;
            if (fromClient)
            {
                if (c.ClientHost.Length == 0) c.ClientHost = frame.Host;
                c.FromClient.Add(s);
            }
            else
            {
                if (c.ServerHost.Length == 0) c.ServerHost = frame.Host;
                c.FromServer.Add(s);
            }
            if (s.Fin || s.Rst) closing.Add(c);
        }
        return all;
    }
}
