using Netstack.Link;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Network.Ipv6;

/// <summary>IPv6 on one interface: its addresses (each through duplicate address detection, RFC 4862 §5.4), the
/// multicast groups it listens to (all-nodes and the solicited-node group of each address, reported with MLDv2,
/// RFC 3810), its neighbour cache, and what routers told it (prefixes, default routers, link MTU, hop limit).</summary>
public sealed class Ipv6Interface
{
    private readonly NetworkInterface _iface;
    private readonly NetworkStack _stack;
    private readonly List<Ipv6InterfaceAddress> _addresses = new();
    private readonly Dictionary<Ipv6Address, int> _groups = new(); // group -> addresses (or 1 for all-nodes) needing it

    internal Ipv6Interface(NetworkInterface iface)
    {
        _iface = iface;
        _stack = iface.Stack;
        Neighbors = new NeighborDiscovery(iface, this);
        Routers = new RouterDiscovery(iface, this);
        Redirects = new RedirectCache(this);
        LinkMtu = iface.Mtu;
        HopLimit = _stack.Options.Ipv6.DefaultHopLimit;
    }

    /// <summary>The interface this state belongs to.</summary>
    public NetworkInterface Interface => _iface;
    /// <summary>Our addresses, link-local first.</summary>
    public IReadOnlyList<Ipv6InterfaceAddress> Addresses => _addresses;
    /// <summary>Multicast groups we listen to.</summary>
    public IReadOnlyCollection<Ipv6Address> Groups => _groups.Keys;
    /// <summary>The neighbour cache and resolver (RFC 4861 §7).</summary>
    public NeighborDiscovery Neighbors { get; }
    /// <summary>Prefixes, default routers and parameters learned from Router Advertisements.</summary>
    public RouterDiscovery Routers { get; }
    /// <summary>Next hops per destination learned from Redirects (RFC 4861 §8).</summary>
    public RedirectCache Redirects { get; }
    /// <summary>Largest IPv6 packet sent on the link: the interface MTU, lowered by a router's MTU option.</summary>
    public int LinkMtu { get; internal set; }
    /// <summary>Hop Limit of the packets we originate (a router may advertise one).</summary>
    public byte HopLimit { get; internal set; }
    /// <summary>The link-local address, preferred or not.</summary>
    public Ipv6InterfaceAddress LinkLocal => _addresses[0];

    /// <summary>Called once when IPv6 is enabled: joins all-nodes, adds the link-local address.</summary>
    internal void Start()
    {
        Join(Ipv6Address.AllNodes, report: false);
        AddAddress(new Ipv6Cidr(Ipv6Address.LinkLocalFromMac(_iface.Mac), 64), Ipv6AddressOrigin.LinkLocal);
    }

    /// <summary>Adds an address: joins its solicited-node group (reported with MLDv2) and runs duplicate address
    /// detection, or takes it into use at once when detection is off.</summary>
    public Ipv6InterfaceAddress AddAddress(Ipv6Cidr cidr, Ipv6AddressOrigin origin = Ipv6AddressOrigin.Static)
    {
        foreach (var existing in _addresses)
            if (existing.Address == cidr.Address) return existing;
        var entry = new Ipv6InterfaceAddress(cidr, origin);
        _addresses.Add(entry);
        Join(cidr.Address.SolicitedNodeMulticast, report: true);
        int transmits = _stack.Options.Ipv6.DuplicateAddressDetectTransmits;
        if (transmits <= 0)
        {
            entry.State = Ipv6AddressState.Preferred;
            OnAddressPreferred(entry);
            return entry;
        }
        entry.State = Ipv6AddressState.Tentative;
        entry.DadTimer = new ScheduledTimer(_stack.Scheduler, () => OnDadTimer(entry));
        SendDadProbe(entry);
        return entry;
    }

    private void SendDadProbe(Ipv6InterfaceAddress entry)
    {
        entry.DadProbesSent++;
        Neighbors.SendSolicitation(entry.Address, Ipv6Address.Unspecified, entry.Address.SolicitedNodeMulticast,
            entry.Address.SolicitedNodeMulticast.MulticastMac);
        entry.DadTimer!.Arm(_stack.Scheduler.Now + Neighbors.RetransmitInterval);
    }

    private void OnDadTimer(Ipv6InterfaceAddress entry)
    {
        if (entry.State != Ipv6AddressState.Tentative) return;
        if (entry.DadProbesSent < _stack.Options.Ipv6.DuplicateAddressDetectTransmits)
        {
            SendDadProbe(entry);
            return;
        }
        entry.State = Ipv6AddressState.Preferred;
        OnAddressPreferred(entry);
    }

    private void OnAddressPreferred(Ipv6InterfaceAddress entry)
    {
        // RFC 4861 §6.3.7: a host solicits routers once its link-local address is usable.
        if (entry.Origin == Ipv6AddressOrigin.LinkLocal) Routers.StartSoliciting();
    }

    /// <summary>Duplicate address detection saw another owner of a tentative address (a Neighbor Advertisement for
    /// it, or another node's detection probe): the address is given up (RFC 4862 §5.4.5).</summary>
    internal void OnDuplicateDetected(Ipv6InterfaceAddress entry)
    {
        if (entry.State != Ipv6AddressState.Tentative) return;
        entry.State = Ipv6AddressState.Duplicate;
        entry.DadTimer?.Cancel();
        _stack.Counters.Drop(Diagnostics.DropReason.Ipv6DuplicateAddress);
        Leave(entry.Address.SolicitedNodeMulticast);
    }

    /// <summary>Removes an address whose valid lifetime ended.</summary>
    internal void RemoveAddress(Ipv6InterfaceAddress entry)
    {
        if (!_addresses.Remove(entry)) return;
        entry.DadTimer?.Cancel();
        if (entry.State != Ipv6AddressState.Duplicate) Leave(entry.Address.SolicitedNodeMulticast);
    }

    /// <summary>Our address entry for <paramref name="address"/> in any state; null when it is not ours.</summary>
    public Ipv6InterfaceAddress? Find(Ipv6Address address)
    {
        var list = _addresses;
        for (int i = 0; i < list.Count; i++)
            if (list[i].Address == address) return list[i];
        return null;
    }

    /// <summary>True when <paramref name="address"/> is ours and usable (preferred, still valid).</summary>
    public bool HasUsableAddress(Ipv6Address address) =>
        Find(address) is { State: Ipv6AddressState.Preferred } a && IsValid(a, _stack.Scheduler.Now);

    private static bool IsValid(Ipv6InterfaceAddress a, Instant now) => a.ValidUntil is not { } until || now < until;

    /// <summary>True when we listen to multicast group <paramref name="group"/>.</summary>
    public bool IsMember(Ipv6Address group) => _groups.ContainsKey(group);

    /// <summary>True when a frame to <paramref name="mac"/> may carry a group we listen to.</summary>
    public bool ListensTo(MacAddress mac)
    {
        foreach (var g in _groups.Keys)
            if (g.MulticastMac == mac) return true;
        return false;
    }

    /// <summary>The source address for a packet to <paramref name="destination"/> (RFC 6724, simplified): the
    /// link-local address for link-scope destinations, else a preferred address whose prefix matches longest, else
    /// the link-local one; false when no address is usable yet.</summary>
    public bool TrySelectSource(Ipv6Address destination, out Ipv6Address source)
    {
        var now = _stack.Scheduler.Now;
        source = default;
        bool linkScope = destination.IsLinkLocal || (destination.IsMulticast && destination.MulticastScope <= 2);
        int best = -1;
        foreach (var a in _addresses)
        {
            if (a.State != Ipv6AddressState.Preferred || !IsValid(a, now)) continue;
            bool isLinkLocal = a.Address.IsLinkLocal;
            if (linkScope != isLinkLocal) continue;
            int score = CommonPrefixLength(a.Address, destination) + (a.PreferredUntil is { } p && now >= p ? 0 : 256);
            if (score > best)
            {
                best = score;
                source = a.Address;
            }
        }
        if (best >= 0) return true;
        if (!linkScope && LinkLocal.State == Ipv6AddressState.Preferred)
        {
            source = LinkLocal.Address;
            return true;
        }
        return false;
    }

    private static int CommonPrefixLength(Ipv6Address a, Ipv6Address b)
    {
        ulong high = a.High ^ b.High;
        if (high != 0) return System.Numerics.BitOperations.LeadingZeroCount(high);
        return 64 + System.Numerics.BitOperations.LeadingZeroCount(a.Low ^ b.Low);
    }

    /// <summary>True when <paramref name="destination"/> is on this link: link-local, in one of our address
    /// prefixes, or in a prefix a router advertised as on-link.</summary>
    public bool IsOnLink(Ipv6Address destination)
    {
        if (destination.IsLinkLocal || destination.IsMulticast) return true;
        foreach (var a in _addresses)
            if (a.State != Ipv6AddressState.Duplicate && a.Cidr.PrefixLength < 128 && destination.IsInSubnet(a.Address, a.Cidr.PrefixLength))
                return true;
        return Routers.IsOnLinkPrefix(destination);
    }

    private void Join(Ipv6Address group, bool report)
    {
        if (_groups.TryGetValue(group, out int n))
        {
            _groups[group] = n + 1;
            return;
        }
        _groups[group] = 1;
        if (report && _stack.Options.Ipv6.SendMldReports) SendMldReport(Mldv2Report.ChangeToExcludeMode, group);
    }

    private void Leave(Ipv6Address group)
    {
        if (!_groups.TryGetValue(group, out int n)) return;
        if (n > 1)
        {
            _groups[group] = n - 1;
            return;
        }
        _groups.Remove(group);
        if (_stack.Options.Ipv6.SendMldReports) SendMldReport(Mldv2Report.ChangeToIncludeMode, group);
    }

    /// <summary>Sends an MLDv2 report (RFC 3810 §5.2) with one record for <paramref name="group"/>: from the
    /// link-local address once it is usable, else from :: (§5.2.13), hop limit 1, with a Router Alert
    /// (§5).</summary>
    private void SendMldReport(byte recordType, Ipv6Address group)
    {
        var source = LinkLocalOrUnspecified;
        int length = Mldv2Report.Length(1);
        var buffer = _stack.Buffers.Rent(length);
        var message = buffer.Append(length);
        Mldv2Report.Write(message, recordType, [group]);
        Icmpv6Packet.WriteChecksum(message, source, Ipv6Address.AllMldv2Routers);
        _stack.Counters.MldReportsSent++;
        _stack.Ipv6.SendOnLink(buffer, source, Ipv6Address.AllMldv2Routers, IpProtocol.Icmpv6, _iface, 1,
            Ipv6Address.AllMldv2Routers.MulticastMac, routerAlert: true);
    }

    /// <summary>Answers an MLD query (RFC 3810 §6.2, without the random delay): one report of every group joined,
    /// as MODE_IS_EXCLUDE records; all-nodes is never reported (§6).</summary>
    internal void AnswerMldQuery()
    {
        if (!_stack.Options.Ipv6.SendMldReports) return;
        int count = 0;
        Span<Ipv6Address> groups = stackalloc Ipv6Address[Math.Min(_groups.Count, 64)];
        foreach (var g in _groups.Keys)
            if (g != Ipv6Address.AllNodes && count < groups.Length) groups[count++] = g;
        if (count == 0) return;
        var source = LinkLocalOrUnspecified;
        int length = Mldv2Report.Length(count);
        var buffer = _stack.Buffers.Rent(length);
        var message = buffer.Append(length);
        Mldv2Report.Write(message, 2 /* MODE_IS_EXCLUDE */, groups[..count]);
        Icmpv6Packet.WriteChecksum(message, source, Ipv6Address.AllMldv2Routers);
        _stack.Counters.MldReportsSent++;
        _stack.Ipv6.SendOnLink(buffer, source, Ipv6Address.AllMldv2Routers, IpProtocol.Icmpv6, _iface, 1,
            Ipv6Address.AllMldv2Routers.MulticastMac, routerAlert: true);
    }

    private Ipv6Address LinkLocalOrUnspecified =>
        _addresses.Count > 0 && LinkLocal.State == Ipv6AddressState.Preferred ? LinkLocal.Address : Ipv6Address.Unspecified;
}
