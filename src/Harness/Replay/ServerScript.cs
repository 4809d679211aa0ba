namespace Netstack.Harness.Replay;

/// <summary>What the captured endpoint's application did on one connection or UDP port, as a list of
/// steps: after the peer had sent <see cref="PeerBytesBefore"/> bytes (or datagrams), at the captured time,
/// send <see cref="Payload"/> (or, for TCP, close when <see cref="Close"/> is set).</summary>
public sealed record ServerStep(long TimeNanoseconds, long PeerBytesBefore, bool PeerClosedBefore, byte[] Payload, bool Close);

/// <summary>A TCP connection our endpoint accepted in the capture, with what its application sent.</summary>
public sealed record TcpServerScript(ushort Port, uint PeerAddress, ushort PeerPort, List<ServerStep> Steps);

/// <summary>A UDP port our endpoint answered on in the capture: per reply, how many datagrams had arrived.</summary>
public sealed record UdpServerScript(ushort Port, List<ServerStep> Steps);

/// <summary>Derives the replay applications from the capture: the server side of each TCP connection
/// the peer opened to our endpoint, and the replies of each UDP port the peer sent to.</summary>
public static class ServerScripts
{
    public static (List<TcpServerScript> Tcp, List<UdpServerScript> Udp) Derive(IReadOnlyList<ReplayFrame> frames, ReplayRole role)
    {
        var tcp = new Dictionary<(uint, ushort, ushort), (TcpServerScript Script, uint PeerIsn, uint OurIsn, long PeerBytes, bool PeerFin, bool OurFin)>();
        var udp = new Dictionary<ushort, (UdpServerScript Script, long Datagrams)>();
        foreach (var f in frames)
        {
            bool ours = role.SentBy(f);
            if (f.IsTcp)
            {
                var key = ours ? (f.IpDestination, f.DestinationPort, f.SourcePort) : (f.IpSource, f.SourcePort, f.DestinationPort);
                if (!ours && f.Has(ReplayFrame.Syn) && !f.Has(ReplayFrame.AckFlag) && f.IpDestination == role.Address)
                {
                    tcp[key] = (new TcpServerScript(f.DestinationPort, f.IpSource, f.SourcePort, new()), f.Seq + 1, 0, 0, false, false);
                    continue;
                }
                if (!tcp.TryGetValue(key, out var c)) continue;
                if (ours)
                {
                    if (f.Has(ReplayFrame.Syn)) { c.OurIsn = f.Seq + 1; tcp[key] = c; continue; }
                    if (f.Has(ReplayFrame.Rst)) continue;
                    // Only new data: a retransmission's bytes were already scripted.
                    long offset = (long)unchecked(f.Seq - c.OurIsn);
                    long sent = c.Script.Steps.Where(s => !s.Close).Sum(s => (long)s.Payload.Length);
                    if (f.TcpPayloadLength > 0 && offset + f.TcpPayloadLength > sent)
                    {
                        int skip = (int)Math.Max(0, sent - offset);
                        c.Script.Steps.Add(new ServerStep(f.TimeNanoseconds, c.PeerBytes, c.PeerFin, f.TcpPayload[skip..].ToArray(), false));
                    }
                    if (f.Has(ReplayFrame.Fin) && !c.OurFin)
                    {
                        c.Script.Steps.Add(new ServerStep(f.TimeNanoseconds, c.PeerBytes, c.PeerFin, [], true));
                        c.OurFin = true;
                    }
                }
                else
                {
                    long end = (long)unchecked(f.Seq - c.PeerIsn) + f.TcpPayloadLength;
                    c.PeerBytes = Math.Max(c.PeerBytes, end);
                    if (f.Has(ReplayFrame.Fin)) c.PeerFin = true;
                }
                tcp[key] = c;
            }
            else if (f.IsUdp)
            {
                if (!ours && f.IpDestination == role.Address)
                {
                    if (!udp.TryGetValue(f.DestinationPort, out var u)) u = (new UdpServerScript(f.DestinationPort, new()), 0);
                    u.Datagrams++;
                    udp[f.DestinationPort] = u;
                }
                else if (ours && udp.TryGetValue(f.SourcePort, out var u))
                {
                    u.Script.Steps.Add(new ServerStep(f.TimeNanoseconds, u.Datagrams, false, f.UdpPayload.ToArray(), false));
                }
            }
        }
        return (tcp.Values.Where(c => c.OurIsn != 0).Select(c => c.Script).ToList(), udp.Values.Select(u => u.Script).ToList());
    }
}
