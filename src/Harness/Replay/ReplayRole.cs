namespace Netstack.Harness.Replay;

/// <summary>Which endpoint of a capture our stack takes over: its address, the MAC it had in the capture,
/// the MAC our stack uses, and which captured frames it sent (the ones we compare with) versus the frames
/// of everyone else (the ones we inject).</summary>
public sealed class ReplayRole
{
    private ReplayRole(uint address, string capturedMac, string ourMac)
    {
        Address = address;
        CapturedMac = capturedMac;
        OurMac = ourMac;
    }

    public uint Address { get; }
    public string CapturedMac { get; }
    public string OurMac { get; }

    /// <summary>The endpoint with <paramref name="address"/>; its MAC is the source most frames it sent (IPv4
    /// source or ARP sender) came from, the first such on a tie, unless <paramref name="mac"/> is given. A
    /// majority, not the first frame: one forged or corrupted frame must not hand the role to another host.</summary>
    public static ReplayRole Find(IReadOnlyList<ReplayFrame> frames, uint address, string? mac)
    {
        string? captured = null;
        bool seen = false;
        var votes = new Dictionary<string, int>();
        foreach (var f in frames)
        {
            if ((f.IsIpv4 && f.IpSource == address) || (f.IsArp && f.ArpSenderIp == address))
            {
                votes[f.EthSource] = votes.GetValueOrDefault(f.EthSource) + 1;
                if (captured is null || votes[f.EthSource] > votes[captured]) captured = f.EthSource;
                seen = true;
            }
            if ((f.IsIpv4 && f.IpDestination == address) || (f.IsArp && f.ArpTargetIp == address)) seen = true;
        }
        if (!seen) throw new ReplayInputException($"{ReplayFrame.Ip(address)} does not appear in the capture");
        if (captured is null && mac is null)
            throw new ReplayInputException($"{ReplayFrame.Ip(address)} sends nothing in the capture, so its MAC is unknown; give --mac");
        return new ReplayRole(address, captured ?? mac!, mac ?? captured!);
    }

    /// <summary>Frames our endpoint sent in the capture: compared, not injected.</summary>
    public bool SentBy(ReplayFrame f) => f.EthSource == CapturedMac;
}
