using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>Which endpoint of a capture our stack takes over: its address, the MAC it had in the capture,
/// the MAC our stack uses, and which captured frames it sent (the ones we compare with) versus the frames
/// of everyone else (the ones we inject). A dual-stack endpoint has addresses of both families: the one given
/// with --as, and every other unicast address its MAC sent from (an IPv6 capture adds its link-local address).</summary>
public sealed class ReplayRole
{
    private ReplayRole(IpAddress address, string capturedMac, string ourMac, IReadOnlyList<IpAddress> addresses)
    {
        Address = address;
        CapturedMac = capturedMac;
        OurMac = ourMac;
        Addresses = addresses;
    }

    /// <summary>The address given with --as.</summary>
    public IpAddress Address { get; }
    public string CapturedMac { get; }
    public string OurMac { get; }
    /// <summary>Every address of the endpoint, <see cref="Address"/> first.</summary>
    public IReadOnlyList<IpAddress> Addresses { get; }

    /// <summary>The endpoint's IPv4 address, if it has one.</summary>
    public IpAddress? Ipv4 => Addresses.Where(a => a.IsIpv4).Select(a => (IpAddress?)a).FirstOrDefault();

    /// <summary>The endpoint's IPv6 addresses other than link-local ones (our stack forms its own from the MAC).</summary>
    public IEnumerable<Ipv6Address> Ipv6 => Addresses.Where(a => !a.IsIpv4 && !a.Ipv6.IsLinkLocal).Select(a => a.Ipv6);

    /// <summary>The endpoint's address that talks to <paramref name="peer"/>: of its family, link-local for a
    /// link-local peer.</summary>
    public IpAddress AddressFor(IpAddress peer)
    {
        foreach (var a in Addresses)
            if (a.IsIpv4 == peer.IsIpv4 && (a.IsIpv4 || a.Ipv6.IsLinkLocal == peer.Ipv6.IsLinkLocal)) return a;
        return Address;
    }

    /// <summary>True when <paramref name="address"/> is one of the endpoint's.</summary>
    public bool Owns(IpAddress address)
    {
        foreach (var a in Addresses)
            if (a == address) return true;
        return false;
    }

    /// <summary>The endpoint with <paramref name="address"/>; its MAC is the source most frames it sent (IP
    /// source or ARP sender) came from, the first such on a tie, unless <paramref name="mac"/> is given. A
    /// majority, not the first frame: one forged or corrupted frame must not hand the role to another host.</summary>
    public static ReplayRole Find(IReadOnlyList<ReplayFrame> frames, IpAddress address, string? mac)
    {
        string? captured = null;
        bool seen = false;
        var votes = new Dictionary<string, int>();
        foreach (var f in frames)
        {
            if ((f.IsIp && f.IpSource == address) || (f.IsArp && f.ArpSenderIp == address))
            {
                votes[f.EthSource] = votes.GetValueOrDefault(f.EthSource) + 1;
                if (captured is null || votes[f.EthSource] > votes[captured]) captured = f.EthSource;
                seen = true;
            }
            if ((f.IsIp && f.IpDestination == address) || (f.IsArp && f.ArpTargetIp == address)) seen = true;
        }
        if (!seen) throw new ReplayInputException($"{ReplayFrame.Ip(address)} does not appear in the capture");
        if (captured is null && mac is null)
            throw new ReplayInputException($"{ReplayFrame.Ip(address)} sends nothing in the capture, so its MAC is unknown; give --mac");
        var capturedMac = captured ?? mac!;
        // The endpoint's other addresses: unicast sources of its MAC's frames (its other family, its link-local).
        var addresses = new List<IpAddress> { address };
        foreach (var f in frames)
        {
            if (f.EthSource != capturedMac) continue;
            var source = f.IsIp ? f.IpSource : f.IsArp ? f.ArpSenderIp : default;
            if (!(f.IsIp || f.IsArp) || addresses.Contains(source) || !IsUnicast(source)) continue;
            // One address of each family (and link-local ones): a second one of its MAC is a host behind it (a router).
            if (source.IsIpv4 ? addresses.Any(a => a.IsIpv4) : !source.Ipv6.IsLinkLocal && addresses.Any(a => !a.IsIpv4 && !a.Ipv6.IsLinkLocal))
                continue;
            addresses.Add(source);
        }
        return new ReplayRole(address, capturedMac, mac ?? captured!, addresses);
    }

    private static bool IsUnicast(IpAddress a) => a.IsIpv4
        ? a.Ipv4.Value != 0 && a.Ipv4.Value >> 28 != 14 && a.Ipv4.Value != 0xffffffff
        : !a.Ipv6.IsUnspecified && !a.Ipv6.IsMulticast && !a.Ipv6.IsLoopback;

    /// <summary>Frames our endpoint sent in the capture: compared, not injected.</summary>
    public bool SentBy(ReplayFrame f) => f.EthSource == CapturedMac;
}
