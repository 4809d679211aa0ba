using Netstack.Buffers;
using Netstack.Diagnostics;
using Netstack.Network.Ipv6;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Link;

/// <summary>Neighbor Discovery address resolution and neighbour unreachability detection (RFC 4861 §7) for one
/// interface: the neighbour cache with its INCOMPLETE/REACHABLE/STALE/DELAY/PROBE states, timers from the
/// stack's scheduler, a bounded cache and bounded per-neighbour queues of packets waiting for resolution; answers
/// solicitations for our addresses and learns from advertisements.</summary>
public sealed class NeighborDiscovery
{
    private readonly NetworkInterface _iface;
    private readonly Ipv6Interface _ip;
    private readonly NetworkStack _stack;
    private readonly StackCounters _counters;
    private readonly NeighborDiscoveryOptions _options;
    private readonly Dictionary<Ipv6Address, NeighborEntry> _cache = new();

    internal NeighborDiscovery(NetworkInterface iface, Ipv6Interface ip)
    {
        _iface = iface;
        _ip = ip;
        _stack = iface.Stack;
        _counters = _stack.Counters;
        _options = _stack.Options.NeighborDiscovery;
        RetransmitInterval = _options.RetransmitInterval;
        BaseReachableTime = _options.BaseReachableTime;
    }

    private IScheduler Scheduler => _stack.Scheduler;

    /// <summary>Wait between solicitations; a Router Advertisement's Retrans Timer replaces it.</summary>
    public Duration RetransmitInterval { get; internal set; }
    /// <summary>Base of the reachable time; a Router Advertisement's Reachable Time replaces it.</summary>
    public Duration BaseReachableTime { get; internal set; }
    /// <summary>The cache, for assertions and reports.</summary>
    public IReadOnlyCollection<NeighborEntry> Entries => _cache.Values;

    /// <summary>The entry for <paramref name="address"/>; false when there is none.</summary>
    public bool TryGetEntry(Ipv6Address address, out NeighborEntry entry) => _cache.TryGetValue(address, out entry!);

    /// <summary>Adds (or confirms) a reachable entry, as `ip -6 neigh replace` does.</summary>
    public void Prime(Ipv6Address address, MacAddress mac)
    {
        var entry = GetOrCreate(address);
        if (entry is null) return;
        entry.Mac = mac;
        EnterReachable(entry);
        Flush(entry);
    }

    /// <summary>RFC 4861 §7.3.1: ReachableTime is BaseReachableTime times a random factor in [0.5, 1.5), drawn
    /// from the stack's seeded source so runs repeat.</summary>
    private Duration ReachableTime() =>
        Duration.FromNanoseconds(BaseReachableTime.Nanoseconds / 2 + (long)(_stack.Random.NextUInt64() % (ulong)Math.Max(1, BaseReachableTime.Nanoseconds)));

    internal void SendWhenResolved(PacketBuffer datagram, Ipv6Address nextHop, Ipv6Address packetSource)
    {
        if (!_cache.TryGetValue(nextHop, out var entry))
        {
            entry = GetOrCreate(nextHop);
            if (entry is null)
            {
                _counters.Drop(DropReason.Ipv6NeighborQueueFull);
                datagram.Dispose();
                return;
            }
            entry.State = NeighborState.Incomplete;
            entry.SolicitSource = packetSource;
            entry.SolicitationsSent = 0;
            Enqueue(entry, datagram);
            SendMulticastSolicitation(entry);
            return;
        }
        switch (entry.State)
        {
            case NeighborState.Incomplete:
                Enqueue(entry, datagram);
                return;
            case NeighborState.Stale:
                // RFC 4861 §7.3.3: sending to a stale neighbour starts DELAY; a probe follows unless confirmed.
                Enter(entry, NeighborState.Delay);
                entry.Timer!.Arm(Scheduler.Now + _options.DelayFirstProbeTime);
                break;
        }
        _iface.Ethernet.Send(datagram, entry.Mac, EtherType.Ipv6);
    }

    private void Enqueue(NeighborEntry entry, PacketBuffer datagram) =>
        entry.Queue(datagram, _options.PendingQueueLimit, _counters, DropReason.Ipv6NeighborQueueFull);

    private NeighborEntry? GetOrCreate(Ipv6Address address)
    {
        if (_cache.TryGetValue(address, out var entry)) return entry;
        if (_cache.Count >= _options.MaxEntries && !EvictOne()) return null;
        return Create(address);
    }

    /// <summary>A new entry; apart from <see cref="GetOrCreate"/> so the timer's closure is allocated only here, not on
    /// every lookup of an existing entry (a lambda's captured local is allocated where its scope begins).</summary>
    private NeighborEntry Create(Ipv6Address address)
    {
        var entry = new NeighborEntry(address) { UpdatedAt = Scheduler.Now };
        entry.Timer = new ScheduledTimer(Scheduler, () => OnTimer(entry));
        _cache[address] = entry;
        return entry;
    }

    /// <summary>Makes room: the least recently updated entry that is not resolving, else the oldest resolving one
    /// (its waiting packets are dropped), so a flood of solicitations or of packets to new neighbours keeps the cache
    /// bounded.</summary>
    private bool EvictOne()
    {
        NeighborEntry? resolved = null, incomplete = null;
        foreach (var e in _cache.Values)
        {
            if (e.State == NeighborState.Incomplete)
            {
                if (incomplete is null || e.UpdatedAt < incomplete.UpdatedAt) incomplete = e;
            }
            else if (resolved is null || e.UpdatedAt < resolved.UpdatedAt) resolved = e;
        }
        var victim = resolved ?? incomplete;
        if (victim is null) return false;
        Remove(victim, DropReason.Ipv6NeighborQueueFull, report: false);
        return true;
    }

    private void Remove(NeighborEntry entry, DropReason reason, bool report)
    {
        _cache.Remove(entry.Address);
        entry.Timer?.Cancel();
        // Like a kernel: the waiting packets' senders are told "address unreachable" (RFC 4861 §7.2.2).
        entry.DropPending(_counters, reason, !report ? null : datagram =>
            _stack.Ipv6.Icmp.ReportLocalError(datagram.Span, Icmpv6Type.DestinationUnreachable,
                (byte)Icmpv6UnreachableCode.Address, entry.SolicitSource));
    }

    private void Enter(NeighborEntry entry, NeighborState state)
    {
        entry.State = state;
        entry.UpdatedAt = Scheduler.Now;
        entry.Timer!.Cancel();
    }

    private void EnterReachable(NeighborEntry entry)
    {
        Enter(entry, NeighborState.Reachable);
        entry.Timer!.Arm(Scheduler.Now + ReachableTime());
    }

    private void OnTimer(NeighborEntry entry)
    {
        switch (entry.State)
        {
            case NeighborState.Reachable:
                Enter(entry, NeighborState.Stale);
                break;
            case NeighborState.Delay:
                Enter(entry, NeighborState.Probe);
                entry.SolicitationsSent = 0;
                SendUnicastProbe(entry);
                break;
            case NeighborState.Probe:
                if (entry.SolicitationsSent < _options.MaxUnicastSolicitations) SendUnicastProbe(entry);
                else Remove(entry, DropReason.Ipv6NeighborResolutionFailed, report: true);
                break;
            case NeighborState.Incomplete:
                if (entry.SolicitationsSent < _options.MaxMulticastSolicitations) SendMulticastSolicitation(entry);
                else Remove(entry, DropReason.Ipv6NeighborResolutionFailed, report: true);
                break;
        }
    }

    private void SendMulticastSolicitation(NeighborEntry entry)
    {
        entry.SolicitationsSent++;
        var group = entry.Address.SolicitedNodeMulticast;
        SendSolicitation(entry.Address, SolicitationSource(entry), group, group.MulticastMac);
        entry.Timer!.Arm(Scheduler.Now + RetransmitInterval);
    }

    private void SendUnicastProbe(NeighborEntry entry)
    {
        entry.SolicitationsSent++;
        SendSolicitation(entry.Address, SolicitationSource(entry), entry.Address, entry.Mac);
        entry.Timer!.Arm(Scheduler.Now + RetransmitInterval);
    }

    /// <summary>RFC 4861 §7.2.2: the source of the packet that prompted the solicitation if it is ours and usable,
    /// else an address of ours for the target.</summary>
    private Ipv6Address SolicitationSource(NeighborEntry entry)
    {
        if (!entry.SolicitSource.IsUnspecified && _ip.HasUsableAddress(entry.SolicitSource)) return entry.SolicitSource;
        return _ip.TrySelectSource(entry.Address, out var source) ? source : Ipv6Address.Unspecified;
    }

    /// <summary>Sends a Neighbor Solicitation for <paramref name="target"/>; with a source address it carries our
    /// link-layer address (RFC 4861 §4.3), from :: (duplicate address detection) it must not.</summary>
    internal void SendSolicitation(Ipv6Address target, Ipv6Address source, Ipv6Address destination, MacAddress mac)
    {
        bool withAddress = !source.IsUnspecified;
        int length = Ndp.NeighborMessageLength + (withAddress ? 8 : 0);
        var buffer = _stack.Buffers.Rent(length);
        var message = buffer.Append(length);
        Ndp.WriteNeighborMessage(message, Icmpv6Type.NeighborSolicitation, 0, target);
        if (withAddress) NdpOption.WriteLinkLayerAddress(message[Ndp.NeighborMessageLength..], NdpOptionType.SourceLinkLayerAddress, _iface.Mac);
        Icmpv6Packet.WriteChecksum(message, source, destination);
        _counters.NeighborSolicitationsSent++;
        _stack.Ipv6.SendOnLink(buffer, source, destination, IpProtocol.Icmpv6, _iface, 255, mac);
    }

    /// <summary>Handles a Neighbor Solicitation (RFC 4861 §7.1.1 validation, §7.2.3 processing): learns the
    /// sender, answers for our preferred addresses, and tells duplicate address detection about probes for our
    /// tentative ones.</summary>
    internal void ReceiveSolicitation(Ipv6Address source, Ipv6Address destination, ReadOnlySpan<byte> message)
    {
        if (message.Length < Ndp.NeighborMessageLength || !NdpOptionReader.IsWellFormed(message[Ndp.NeighborMessageLength..]))
        {
            _counters.Drop(DropReason.Ipv6NdpInvalid);
            return;
        }
        var target = Ndp.Target(message);
        var options = message[Ndp.NeighborMessageLength..];
        bool hasSll = NdpOptionReader.TryFindLinkLayerAddress(options, NdpOptionType.SourceLinkLayerAddress, out var sll);
        if (target.IsMulticast || (source.IsUnspecified && (destination != target.SolicitedNodeMulticast || hasSll)))
        {
            _counters.Drop(DropReason.Ipv6NdpInvalid);
            return;
        }
        var ours = _ip.Find(target);
        if (ours is null || ours.State == Ipv6AddressState.Duplicate)
        {
            _counters.Drop(DropReason.Ipv6NdpNotForUs);
            return;
        }
        if (ours.State == Ipv6AddressState.Tentative)
        {
            // RFC 4862 §5.4.3: another node probing the same tentative address means it is a duplicate; a
            // solicitation from a unicast source is for an address we do not hold yet and goes unanswered.
            if (source.IsUnspecified) _ip.OnDuplicateDetected(ours);
            else _counters.Drop(DropReason.Ipv6NdpNotForUs);
            return;
        }
        if (!source.IsUnspecified && hasSll) LearnUnsolicited(source, sll, isRouter: null);
        SendAdvertisement(target, source.IsUnspecified ? Ipv6Address.AllNodes : source, solicited: !source.IsUnspecified);
    }

    private void SendAdvertisement(Ipv6Address target, Ipv6Address destination, bool solicited)
    {
        int length = Ndp.NeighborMessageLength + 8;
        var buffer = _stack.Buffers.Rent(length);
        var message = buffer.Append(length);
        Ndp.WriteNeighborMessage(message, Icmpv6Type.NeighborAdvertisement,
            (byte)((solicited ? Ndp.SolicitedFlag : 0) | Ndp.OverrideFlag), target);
        NdpOption.WriteLinkLayerAddress(message[Ndp.NeighborMessageLength..], NdpOptionType.TargetLinkLayerAddress, _iface.Mac);
        Icmpv6Packet.WriteChecksum(message, target, destination);
        _counters.NeighborAdvertisementsSent++;
        _stack.Ipv6.SendOnLink(buffer, target, destination, IpProtocol.Icmpv6, _iface, 255,
            destination.IsMulticast ? destination.MulticastMac : null);
    }

    /// <summary>Handles a Neighbor Advertisement (RFC 4861 §7.1.2 validation, §7.2.5 processing): completes a
    /// resolution, confirms or updates a neighbour, or reveals a duplicate of our tentative address.</summary>
    internal void ReceiveAdvertisement(Ipv6Address destination, ReadOnlySpan<byte> message)
    {
        if (message.Length < Ndp.NeighborMessageLength || !NdpOptionReader.IsWellFormed(message[Ndp.NeighborMessageLength..]))
        {
            _counters.Drop(DropReason.Ipv6NdpInvalid);
            return;
        }
        var target = Ndp.Target(message);
        byte flags = Ndp.AdvertisementFlags(message);
        bool solicited = (flags & Ndp.SolicitedFlag) != 0, overrides = (flags & Ndp.OverrideFlag) != 0;
        if (target.IsMulticast || (destination.IsMulticast && solicited))
        {
            _counters.Drop(DropReason.Ipv6NdpInvalid);
            return;
        }
        if (_ip.Find(target) is { } ours)
        {
            if (ours.State == Ipv6AddressState.Tentative) _ip.OnDuplicateDetected(ours);
            else _counters.Drop(DropReason.Ipv6NdpNotForUs);
            return;
        }
        if (!_cache.TryGetValue(target, out var entry))
        {
            _counters.Drop(DropReason.Ipv6NdpNotForUs); // RFC 4861 §7.2.5: no entry, silently discarded
            return;
        }
        bool hasTll = NdpOptionReader.TryFindLinkLayerAddress(message[Ndp.NeighborMessageLength..],
            NdpOptionType.TargetLinkLayerAddress, out var tll);
        entry.IsRouter = (flags & Ndp.RouterFlag) != 0;
        if (entry.State == NeighborState.Incomplete)
        {
            if (!hasTll)
            {
                _counters.Drop(DropReason.Ipv6NdpInvalid);
                return;
            }
            entry.Mac = tll;
            if (solicited) EnterReachable(entry);
            else Enter(entry, NeighborState.Stale);
            Flush(entry);
            return;
        }
        bool differs = hasTll && tll != entry.Mac;
        if (!overrides && differs)
        {
            // A different address without override: not trusted, but the entry we had is now doubtful.
            if (entry.State == NeighborState.Reachable) Enter(entry, NeighborState.Stale);
            return;
        }
        if (hasTll) entry.Mac = tll;
        if (solicited) EnterReachable(entry);
        else if (differs) Enter(entry, NeighborState.Stale);
    }

    /// <summary>Learns a neighbour's MAC from a message it sent (a solicitation's or a router advertisement's source
    /// link-layer option, RFC 4861 §7.2.3, §6.3.4): a new or changed entry becomes STALE, a resolving one sends what
    /// waited for it.</summary>
    internal void LearnUnsolicited(Ipv6Address address, MacAddress mac, bool? isRouter)
    {
        if (mac.IsMulticast || mac == MacAddress.Zero || mac == _iface.Mac) return;
        bool existed = _cache.ContainsKey(address);
        var entry = GetOrCreate(address);
        if (entry is null) return;
        if (isRouter is { } r) entry.IsRouter = r;
        if (!existed || entry.State == NeighborState.Incomplete || entry.Mac != mac)
        {
            entry.Mac = mac;
            Enter(entry, NeighborState.Stale);
            Flush(entry);
        }
    }

    private void Flush(NeighborEntry entry)
    {
        while (entry.Pending.TryDequeue(out var datagram))
        {
            if (entry.State == NeighborState.Stale)
            {
                Enter(entry, NeighborState.Delay);
                entry.Timer!.Arm(Scheduler.Now + _options.DelayFirstProbeTime);
            }
            _iface.Ethernet.Send(datagram, entry.Mac, EtherType.Ipv6);
        }
    }
}
