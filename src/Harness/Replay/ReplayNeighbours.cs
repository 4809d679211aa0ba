using Netstack.Time;

namespace Netstack.Harness.Replay;

/// <summary>The link layer of the endpoints a replay plays: their addresses and captured MACs, the ARP
/// replies they send to our stack's requests (when the capture has none at that moment: a capture taken
/// with warm caches shows no ARP at all), and the requests nobody could answer.</summary>
public sealed class ReplayNeighbours
{
    private readonly ReplayRole _role;
    /// <summary>When each played address's captured ARP replies to our endpoint are injected.</summary>
    private readonly Dictionary<uint, List<long>> _capturedReplies = new();
    private readonly Dictionary<uint, (int Requests, int FirstOurs)> _unanswered = new();
    private readonly Dictionary<uint, int> _answered = new();

    /// <summary>A captured reply this close after our request (or this shortly before it) is the answer.</summary>
    private const long AnswerWindowNanoseconds = Duration.NanosecondsPerSecond, EarlyNanoseconds = Duration.NanosecondsPerMillisecond;

    public ReplayNeighbours(IEnumerable<ReplayFrame> played, ReplayRole role)
    {
        _role = role;
        foreach (var f in played)
        {
            if (f.IsArp)
            {
                if (f.ArpSenderIp != 0 && f.ArpSenderIp != role.Address) Peers.TryAdd(f.ArpSenderIp, f.ArpSenderMac);
                if (f.ArpOperation == 2 && f.ArpTargetIp == role.Address)
                {
                    if (!_capturedReplies.TryGetValue(f.ArpSenderIp, out var times)) _capturedReplies[f.ArpSenderIp] = times = new();
                    times.Add(f.TimeNanoseconds);
                }
            }
            else if (f.IsIpv4 && f.IpSource != role.Address) Peers.TryAdd(f.IpSource, f.EthSource);
        }
    }

    /// <summary>Every address the replay plays, with the MAC its frames came from (for a routed peer, the
    /// gateway's MAC: exactly what our stack must send to).</summary>
    public Dictionary<uint, string> Peers { get; } = new();

    /// <summary>The ARP reply to inject for a frame our stack sent, or null.</summary>
    public byte[]? Answer(ReplayFrame ours, long now)
    {
        if (!ours.IsArp || ours.ArpOperation != 1 || ours.ArpSenderIp != _role.Address) return null;
        uint target = ours.ArpTargetIp;
        if (!Peers.TryGetValue(target, out var mac))
        {
            _unanswered[target] = _unanswered.TryGetValue(target, out var u) ? (u.Requests + 1, u.FirstOurs) : (1, ours.Number);
            return null;
        }
        if (_capturedReplies.TryGetValue(target, out var times) && times.Any(t => t >= now - EarlyNanoseconds && t <= now + AnswerWindowNanoseconds))
            return null; // the capture's own reply is on its way
        _answered[target] = _answered.GetValueOrDefault(target) + 1;
        return SyntheticFrames.ArpReply(mac, target, ours.ArpSenderMac, _role.Address);
    }

    /// <summary>Requests of our stack for addresses no captured endpoint has: first in the report, since
    /// everything our stack meant to send there never left.</summary>
    public IEnumerable<string> Unanswered() => _unanswered.Select(u =>
        $"our stack's ARP requests for {ReplayFrame.Ip(u.Key)} went unanswered ({u.Value.Requests} sent, first ours #{u.Value.FirstOurs}): no endpoint in the capture has that address, so what our stack had for it was never sent");

    public IEnumerable<string> Notes()
    {
        foreach (var a in _answered)
            yield return $"{"link",-18} answered {a.Value} ARP request{(a.Value == 1 ? "" : "s")} of our stack for {ReplayFrame.Ip(a.Key)} with its captured MAC {Peers[a.Key]}";
    }
}
