using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Network.Ipv6;

/// <summary>A default router learned from a Router Advertisement (RFC 4861 §6.3.4).</summary>
/// <param name="Address">The router's link-local address.</param>
/// <param name="ValidUntil">When its advertised router lifetime ends.</param>
public sealed record DefaultRouter(Ipv6Address Address, Instant ValidUntil);

/// <summary>An on-link prefix learned from a prefix information option with the L flag.</summary>
/// <param name="Prefix">The prefix.</param>
/// <param name="ValidUntil">When its valid lifetime ends; null for an infinite lifetime.</param>
public sealed record OnLinkPrefix(Ipv6Cidr Prefix, Instant? ValidUntil);

/// <summary>Router discovery for a host (RFC 4861 §6.3) and stateless address autoconfiguration (RFC 4862
/// §5.5): solicits routers once the link-local address is usable, and from their advertisements learns default
/// routers, on-link prefixes, the link MTU, hop limit and ND timers, and forms addresses from autonomous
/// prefixes (each through duplicate address detection).</summary>
public sealed class RouterDiscovery
{
    /// <summary>RFC 4862 §5.5.3 (e): a lifetime update may shorten a valid lifetime only down to two hours.</summary>
    private static readonly Duration TwoHours = Duration.FromSeconds(7200);
    private const uint Infinite = 0xFFFF_FFFF;

    private readonly NetworkInterface _iface;
    private readonly Ipv6Interface _ip;
    private readonly NetworkStack _stack;
    private readonly List<DefaultRouter> _routers = new();
    private readonly List<OnLinkPrefix> _prefixes = new();
    private readonly ScheduledTimer _solicitTimer;
    private int _solicitationsSent;
    private bool _advertisementSeen;

    internal RouterDiscovery(NetworkInterface iface, Ipv6Interface ip)
    {
        _iface = iface;
        _ip = ip;
        _stack = iface.Stack;
        _solicitTimer = new ScheduledTimer(_stack.Scheduler, OnSolicitTimer);
    }

    /// <summary>Default routers, in the order first heard.</summary>
    public IReadOnlyList<DefaultRouter> DefaultRouters => _routers;
    /// <summary>Prefixes routers advertised as on-link.</summary>
    public IReadOnlyList<OnLinkPrefix> OnLinkPrefixes => _prefixes;

    private const int MaxRouters = 8;

    /// <summary>Adds a default router configured by hand (as <c>ip -6 route add default via</c>): it never expires
    /// and is preferred to advertised ones; a static gateway need not be link-local. Advertisements from the same
    /// address update it as usual.</summary>
    /// <param name="address">The router's address, on-link.</param>
    public void AddStatic(Ipv6Address address)
    {
        _routers.RemoveAll(r => r.Address == address);
        _routers.Insert(0, new DefaultRouter(address, Instant.MaxValue));
    }
    private const int MaxPrefixes = 16;

    internal void StartSoliciting()
    {
        var options = _stack.Options.Ipv6;
        if (!options.AcceptRouterAdvertisements || options.MaxRouterSolicitations <= 0 || _advertisementSeen) return;
        _solicitationsSent = 0;
        SendSolicitation();
    }

    private void OnSolicitTimer()
    {
        if (_advertisementSeen || _solicitationsSent >= _stack.Options.Ipv6.MaxRouterSolicitations) return;
        SendSolicitation();
    }

    private void SendSolicitation()
    {
        _solicitationsSent++;
        var source = _ip.LinkLocal.State == Ipv6AddressState.Preferred ? _ip.LinkLocal.Address : Ipv6Address.Unspecified;
        int length = Ndp.RouterSolicitationLength + (source.IsUnspecified ? 0 : 8);
        var buffer = _stack.Buffers.Rent(length);
        var message = buffer.Append(length);
        message.Clear();
        message[0] = (byte)Icmpv6Type.RouterSolicitation;
        if (!source.IsUnspecified)
            NdpOption.WriteLinkLayerAddress(message[Ndp.RouterSolicitationLength..], NdpOptionType.SourceLinkLayerAddress, _iface.Mac);
        Icmpv6Packet.WriteChecksum(message, source, Ipv6Address.AllRouters);
        _stack.Counters.RouterSolicitationsSent++;
        _stack.Ipv6.SendOnLink(buffer, source, Ipv6Address.AllRouters, IpProtocol.Icmpv6, _iface, 255,
            Ipv6Address.AllRouters.MulticastMac);
        if (_solicitationsSent < _stack.Options.Ipv6.MaxRouterSolicitations)
            _solicitTimer.Arm(_stack.Scheduler.Now + _stack.Options.Ipv6.RouterSolicitationInterval);
    }

    /// <summary>True when a router advertised a still-valid on-link prefix holding <paramref name="destination"/>.</summary>
    public bool IsOnLinkPrefix(Ipv6Address destination)
    {
        var now = _stack.Scheduler.Now;
        foreach (var p in _prefixes)
            if ((p.ValidUntil is not { } until || now < until) && destination.IsInSubnet(p.Prefix.Address, p.Prefix.PrefixLength))
                return true;
        return false;
    }

    /// <summary>A default router whose lifetime has not ended, preferring one whose neighbour entry is not known to
    /// be unreachable (RFC 4861 §6.3.6); false when there is none.</summary>
    public bool TryGetDefaultRouter(out Ipv6Address router)
    {
        var now = _stack.Scheduler.Now;
        router = default;
        bool found = false;
        foreach (var r in _routers)
        {
            if (now >= r.ValidUntil) continue;
            if (_ip.Neighbors.TryGetEntry(r.Address, out var e) && e.State != NeighborState.Incomplete)
            {
                router = r.Address;
                return true;
            }
            if (!found)
            {
                router = r.Address;
                found = true;
            }
        }
        return found;
    }

    /// <summary>Handles a Router Advertisement (RFC 4861 §6.1.2 validation, §6.3.4 processing; RFC 4862 §5.5.3):
    /// invalid ones are dropped and counted.</summary>
    internal void ReceiveAdvertisement(Ipv6Address source, ReadOnlySpan<byte> message)
    {
        var counters = _stack.Counters;
        if (!source.IsLinkLocal || message.Length < Ndp.RouterAdvertisementLength ||
            !NdpOptionReader.IsWellFormed(message[Ndp.RouterAdvertisementLength..]))
        {
            counters.Drop(DropReason.Ipv6NdpInvalid);
            return;
        }
        if (!_stack.Options.Ipv6.AcceptRouterAdvertisements)
        {
            counters.Drop(DropReason.Ipv6IcmpUnhandledType);
            return;
        }
        counters.RouterAdvertisementsProcessed++;
        _advertisementSeen = true;
        _solicitTimer.Cancel();
        var now = _stack.Scheduler.Now;

        byte hopLimit = Ndp.CurHopLimit(message);
        if (hopLimit != 0) _ip.HopLimit = hopLimit;
        uint reachable = Ndp.ReachableTime(message), retrans = Ndp.RetransTimer(message);
        if (reachable != 0) _ip.Neighbors.BaseReachableTime = Duration.FromMilliseconds((long)reachable);
        if (retrans != 0) _ip.Neighbors.RetransmitInterval = Duration.FromMilliseconds((long)retrans);

        ushort lifetime = Ndp.RouterLifetime(message);
        int existing = _routers.FindIndex(r => r.Address == source);
        if (lifetime == 0)
        {
            if (existing >= 0) _routers.RemoveAt(existing);
        }
        else
        {
            var router = new DefaultRouter(source, now + Duration.FromSeconds(lifetime));
            if (existing >= 0) _routers[existing] = router;
            else if (_routers.Count < MaxRouters) _routers.Add(router);
        }

        var reader = new NdpOptionReader(message[Ndp.RouterAdvertisementLength..]);
        while (reader.TryNext(out var option))
        {
            switch (option.Type)
            {
                case NdpOptionType.SourceLinkLayerAddress when option.TryGetLinkLayerAddress(out var mac):
                    _ip.Neighbors.LearnUnsolicited(source, mac, isRouter: true);
                    break;
                case NdpOptionType.Mtu:
                    uint mtu = option.Mtu;
                    if (mtu >= Ipv6Packet.MinimumMtu && mtu <= _iface.Mtu) _ip.LinkMtu = (int)mtu;
                    break;
                case NdpOptionType.PrefixInformation:
                    OnPrefix(option, now);
                    break;
            }
        }
    }

    private void OnPrefix(NdpOption option, Instant now)
    {
        var prefix = option.Prefix;
        int length = option.PrefixLength;
        uint valid = option.ValidLifetime, preferred = option.PreferredLifetime;
        if (prefix.IsLinkLocal || prefix.IsMulticast || length > 128 || preferred > valid) return;
        var cidr = new Ipv6Cidr(prefix.Masked(length), length);
        if (option.OnLink)
        {
            int i = _prefixes.FindIndex(p => p.Prefix == cidr);
            Instant? until = valid == Infinite ? null : now + Duration.FromSeconds(valid);
            if (valid == 0)
            {
                if (i >= 0) _prefixes.RemoveAt(i);
            }
            else if (i >= 0) _prefixes[i] = new OnLinkPrefix(cidr, until);
            else if (_prefixes.Count < MaxPrefixes) _prefixes.Add(new OnLinkPrefix(cidr, until));
        }
        // RFC 4862 §5.5.3: autonomous prefixes form an address with our 64-bit interface identifier.
        if (!option.Autonomous || length != 64) return;
        var address = Ipv6Address.FromPrefixAndInterface(cidr.Address, Ipv6Address.InterfaceIdentifier(_iface.Mac));
        var entry = _ip.Find(address);
        if (entry is null)
        {
            // As many autoconfigured addresses as prefixes kept: a flood of advertised prefixes must not grow the
            // address list (every packet is matched against it) and its detection timers without bound.
            if (valid == 0 || AutoconfiguredCount() >= MaxPrefixes) return;
            entry = _ip.AddAddress(new Ipv6Cidr(address, 64), Ipv6AddressOrigin.Autoconfigured);
            entry.ValidUntil = valid == Infinite ? null : now + Duration.FromSeconds(valid);
            entry.PreferredUntil = preferred == Infinite ? null : now + Duration.FromSeconds(preferred);
            return;
        }
        if (entry.Origin != Ipv6AddressOrigin.Autoconfigured) return;
        entry.PreferredUntil = preferred == Infinite ? null : now + Duration.FromSeconds(preferred);
        // (e): the valid lifetime is taken if it is over two hours or longer than what remains; otherwise an
        // unauthenticated advertisement may cut it only to two hours.
        Instant? advertised = valid == Infinite ? null : now + Duration.FromSeconds(valid);
        bool remainsOverTwoHours = entry.ValidUntil is not { } current || current.Nanoseconds - now.Nanoseconds > TwoHours.Nanoseconds;
        if (valid == Infinite || Duration.FromSeconds(valid) > TwoHours || (advertised is { } a && entry.ValidUntil is { } c && a > c))
            entry.ValidUntil = advertised;
        else if (remainsOverTwoHours)
            entry.ValidUntil = now + TwoHours;
    }

    private int AutoconfiguredCount()
    {
        int n = 0;
        var addresses = _ip.Addresses;
        for (int i = 0; i < addresses.Count; i++)
            if (addresses[i].Origin == Ipv6AddressOrigin.Autoconfigured) n++;
        return n;
    }
}
