using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>The link layer of the endpoints a replay plays: their addresses and captured MACs, the ARP replies
/// and neighbour advertisements they send to our stack's requests and solicitations (when the capture has none
/// at that moment: a capture taken with warm caches shows no ARP or NDP at all), and the requests nobody could
/// answer.</summary>
public sealed class ReplayNeighbours
{
    private readonly ReplayRole _role;
    /// <summary>When each played address's captured ARP replies (neighbour advertisements) to our endpoint are injected.</summary>
    private readonly Dictionary<IpAddress, List<Instant>> _capturedReplies = new();
    private readonly Dictionary<IpAddress, (int Requests, int FirstOurs)> _unanswered = new();
    private readonly Dictionary<IpAddress, int> _answered = new();

    /// <summary>A captured reply this close after our request (or this shortly before it) is the answer.</summary>
    private static readonly Duration AnswerWindow = Duration.FromSeconds(1), Early = Duration.FromMilliseconds(1);

    public ReplayNeighbours(IEnumerable<ReplayFrame> played, ReplayRole role)
    {
        _role = role;
        foreach (var f in played)
        {
            if (f.IsArp)
            {
                if (f.ArpSenderIp.Ipv4.Value != 0 && !role.Owns(f.ArpSenderIp)) Peers.TryAdd(f.ArpSenderIp, f.ArpSenderMac);
                if (f.ArpOperation == 2 && f.ArpTargetIp == role.Address) Captured(f.ArpSenderIp, f.Time);
            }
            else if (f.IsIp && !role.Owns(f.IpSource) && !(f.IsIpv6 && f.IpSource.Ipv6.IsUnspecified))
            {
                Peers.TryAdd(f.IpSource, f.EthSource);
                if (f.IsNeighborAdvertisement && role.Owns(f.IpDestination)) Captured(f.NdTarget, f.Time);
            }
        }
    }

    private void Captured(IpAddress peer, Instant at)
    {
        if (!_capturedReplies.TryGetValue(peer, out var times)) _capturedReplies[peer] = times = new();
        times.Add(at);
    }

    /// <summary>Every address the replay plays, with the MAC its frames came from (for a routed peer, the
    /// gateway's MAC: exactly what our stack must send to).</summary>
    public Dictionary<IpAddress, string> Peers { get; } = new();

    /// <summary>The ARP reply or neighbour advertisement to inject for a frame our stack sent, or null.</summary>
    public byte[]? Answer(ReplayFrame ours, Instant now)
    {
        IpAddress target;
        if (ours.IsArp && ours.ArpOperation == 1 && _role.Owns(ours.ArpSenderIp)) target = ours.ArpTargetIp;
        else if (ours.IsNeighborSolicitation && !ours.IpSource.Ipv6.IsUnspecified && _role.Owns(ours.IpSource)) target = ours.NdTarget;
        else return null;
        if (!Peers.TryGetValue(target, out var mac))
        {
            _unanswered[target] = _unanswered.TryGetValue(target, out var u) ? (u.Requests + 1, u.FirstOurs) : (1, ours.Number);
            return null;
        }
        if (_capturedReplies.TryGetValue(target, out var times) && times.Any(t => t >= now - Early && t <= now + AnswerWindow))
            return null; // the capture's own reply is on its way
        _answered[target] = _answered.GetValueOrDefault(target) + 1;
        return ours.IsArp
            ? SyntheticFrames.ArpReply(mac, target, ours.ArpSenderMac, ours.ArpSenderIp)
            : SyntheticFrames.NeighborAdvertisement(mac, target.Ipv6, ours.EthSource, ours.IpSource.Ipv6);
    }

    private static string Request(IpAddress a) => a.IsIpv4 ? "ARP request" : "neighbour solicitation";

    /// <summary>Requests of our stack for addresses no captured endpoint has: first in the report, since
    /// everything our stack meant to send there never left.</summary>
    public IEnumerable<string> Unanswered(string endpoint = "our stack") => _unanswered.Select(u =>
        $"{endpoint}'s {Request(u.Key)}s for {ReplayFrame.Ip(u.Key)} went unanswered ({u.Value.Requests} sent, first ours #{u.Value.FirstOurs}): no endpoint in the capture has that address, so what {endpoint} had for it was never sent");

    public IEnumerable<string> Notes(string endpoint = "our stack")
    {
        foreach (var a in _answered)
            yield return $"{"link",-18} answered {a.Value} {Request(a.Key)}{(a.Value == 1 ? "" : "s")} of {endpoint} for {ReplayFrame.Ip(a.Key)} with its captured MAC {Peers[a.Key]}";
    }
}
