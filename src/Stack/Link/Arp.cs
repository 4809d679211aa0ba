using Netstack.Buffers;
using Netstack.Diagnostics;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Link;

/// <summary>ARP (RFC 826) for one interface: resolves next hops, answers requests for our address,
/// learns from what it hears, and holds packets while a resolution is in progress.</summary>
public sealed class Arp
{
    private readonly NetworkInterface _iface;
    private readonly StackCounters _counters;
    private readonly ArpOptions _options;
    private readonly Dictionary<Ipv4Address, ArpEntry> _cache = new();
    // The entry the last datagram was sent through: consecutive datagrams mostly go to one next hop, and comparing an
    // address is cheaper than hashing it. Cleared whenever an entry leaves the cache.
    private ArpEntry? _lastUsed;

    internal Arp(NetworkInterface iface)
    {
        _iface = iface;
        _counters = iface.Stack.Counters;
        _options = iface.Stack.Options.Arp;
        Scheduler = iface.Stack.Scheduler;
    }

    private IScheduler Scheduler { get; }

    /// <summary>A snapshot of the cache, for assertions and reports.</summary>
    public IReadOnlyCollection<ArpEntry> Entries => _cache.Values;

    /// <summary>The MAC for <paramref name="address"/> if a reachable, unexpired entry exists.</summary>
    public bool TryLookup(Ipv4Address address, out MacAddress mac)
    {
        mac = default;
        if (!_cache.TryGetValue(address, out var e) || e.State != ArpEntryState.Reachable || Scheduler.Now >= e.ExpiresAt)
            return false;
        mac = e.Mac;
        return true;
    }

    /// <summary>Adds (or confirms) a reachable entry as if <paramref name="address"/> had just answered, the way
    /// `ip neigh replace` does: a capture replay primes the cache with the neighbours the capture shows.</summary>
    public void Prime(Ipv4Address address, MacAddress mac)
    {
        if (!_cache.TryGetValue(address, out var entry))
        {
            if (_cache.Count >= _options.MaxEntries && !EvictOne(Scheduler.Now)) return;
            _cache[address] = entry = new ArpEntry(address);
        }
        Learn(entry, mac);
    }

    /// <summary>Announces our address (gratuitous ARP request: sender and target both us).</summary>
    public void Announce() =>
        SendArp(ArpOperation.Request, MacAddress.Broadcast, MacAddress.Zero, _iface.Address.Address);

    internal void SendWhenResolved(PacketBuffer datagram, Ipv4Address nextHop)
    {
        var now = Scheduler.Now;
        var entry = _lastUsed;
        if ((entry is null || entry.Address != nextHop) && _cache.TryGetValue(nextHop, out entry)) _lastUsed = entry;
        if (entry is not null)
        {
            if (entry.State == ArpEntryState.Reachable && now < entry.ExpiresAt)
            {
                // Refresh on use: confirm an entry that is about to expire while still using it.
                if (!entry.Refreshing && now >= entry.ExpiresAt - _options.RefreshBeforeExpiry)
                {
                    entry.Refreshing = true;
                    SendArp(ArpOperation.Request, entry.Mac, MacAddress.Zero, nextHop);
                }
                _iface.Ethernet.Send(datagram, entry.Mac, EtherType.Ipv4);
                return;
            }
            if (entry.State == ArpEntryState.Reachable)
                StartResolution(entry); // expired: resolve afresh, keeping this packet
        }
        else
        {
            if (_cache.Count >= _options.MaxEntries && !EvictOne(now))
            {
                _counters.Drop(DropReason.ArpQueueFull);
                datagram.Dispose();
                return;
            }
            entry = new ArpEntry(nextHop);
            _cache[nextHop] = entry;
            StartResolution(entry);
        }
        entry.Queue(datagram, _options.PendingQueueLimit, _counters, DropReason.ArpQueueFull);
    }

    private void StartResolution(ArpEntry entry)
    {
        entry.State = ArpEntryState.Incomplete;
        entry.RequestsSent = 0;
        entry.Refreshing = false;
        entry.Timer ??= new ScheduledTimer(Scheduler, () => OnRetryTimer(entry));
        SendRequest(entry);
    }

    private void SendRequest(ArpEntry entry)
    {
        entry.RequestsSent++;
        SendArp(ArpOperation.Request, MacAddress.Broadcast, MacAddress.Zero, entry.Address);
        entry.Timer!.ArmAfter(_options.RetryInterval);
    }

    private void OnRetryTimer(ArpEntry entry)
    {
        if (entry.State != ArpEntryState.Incomplete) return;
        if (entry.RequestsSent < _options.MaxRequests)
        {
            SendRequest(entry);
            return;
        }
        // Give up: the waiting packets are dropped and their senders told "host unreachable",
        // the way a kernel reports a failed neighbour resolution to local sockets.
        _cache.Remove(entry.Address);
        _lastUsed = null;
        entry.DropPending(_counters, DropReason.ArpResolutionFailed, datagram =>
            _iface.Stack.Icmp.ReportLocalError(datagram.Span, IcmpType.DestinationUnreachable,
                (byte)UnreachableCode.Host, _iface.Address.Address));
    }

    /// <summary>Handles one ARP packet (an Ethernet payload): merges the sender into the cache, learns it when the
    /// packet targets us, answers requests for our address. Malformed, spoofed-MAC and foreign packets are dropped and
    /// counted (<see cref="DropReason"/>), never thrown.</summary>
    public void Receive(ReadOnlySpan<byte> payload)
    {
        if (!ArpPacket.TryParse(payload, out var p) || p.SenderProtocol.IsBroadcast)
        {
            _counters.Drop(DropReason.ArpMalformed);
            return;
        }
        // No station has these: learning one (poisoning) would send the sender's traffic nowhere, to everyone, or
        // back to ourselves. Not learned, not answered.
        if (p.SenderHardware.IsMulticast || p.SenderHardware == MacAddress.Zero || p.SenderHardware == _iface.Mac)
        {
            _counters.Drop(DropReason.ArpInvalidSenderMac);
            return;
        }
        _counters.ArpPacketsProcessed++;
        var us = _iface.Address.Address;
        // RFC 826 "merge": update an existing entry for the sender whoever the packet was for.
        bool merged = false;
        if (!p.SenderProtocol.IsUnspecified && _cache.TryGetValue(p.SenderProtocol, out var entry))
        {
            Learn(entry, p.SenderHardware);
            merged = true;
        }
        if (p.TargetProtocol != us || p.SenderProtocol == us)
        {
            if (!merged) _counters.Drop(DropReason.ArpNotForUs);
            return;
        }
        if (!merged && !p.SenderProtocol.IsUnspecified && (_cache.Count < _options.MaxEntries || EvictOne(Scheduler.Now)))
        {
            entry = new ArpEntry(p.SenderProtocol);
            _cache[p.SenderProtocol] = entry;
            Learn(entry, p.SenderHardware);
        }
        if (p.Operation == ArpOperation.Request)
        {
            _counters.ArpRepliesSent++;
            SendArp(ArpOperation.Reply, p.SenderHardware, p.SenderHardware, p.SenderProtocol);
        }
    }

    private void Learn(ArpEntry entry, MacAddress mac)
    {
        entry.Mac = mac;
        entry.State = ArpEntryState.Reachable;
        entry.ExpiresAt = Scheduler.Now + _options.EntryLifetime;
        entry.Refreshing = false;
        entry.Timer?.Cancel();
        while (entry.Pending.TryDequeue(out var datagram))
            _iface.Ethernet.Send(datagram, mac, EtherType.Ipv4);
    }

    /// <summary>Makes room by removing an expired entry, else an incomplete one (its waiting packets are
    /// dropped: a flood towards spoofed neighbours must not push out confirmed ones), else the reachable
    /// one closest to expiry.</summary>
    private bool EvictOne(Instant now)
    {
        ArpEntry? victim = null, incomplete = null;
        foreach (var e in _cache.Values)
        {
            if (e.State != ArpEntryState.Reachable)
            {
                incomplete ??= e;
                continue;
            }
            if (victim is null || e.ExpiresAt < victim.ExpiresAt) victim = e;
        }
        if (victim is not null && victim.ExpiresAt <= now || incomplete is null)
        {
            if (victim is null) return false;
            _cache.Remove(victim.Address);
            _lastUsed = null;
            return true;
        }
        _cache.Remove(incomplete.Address);
        _lastUsed = null;
        incomplete.Timer?.Cancel();
        incomplete.DropPending(_counters, DropReason.ArpQueueFull);
        return true;
    }

    private void SendArp(ArpOperation op, MacAddress ethernetDestination, MacAddress targetMac, Ipv4Address targetIp)
    {
        if (op == ArpOperation.Request) _counters.ArpRequestsSent++;
        var buffer = _iface.Stack.Buffers.Rent(ArpPacket.Length);
        new ArpPacket(op, _iface.Mac, _iface.Address.Address, targetMac, targetIp).Write(buffer.Append(ArpPacket.Length));
        _iface.Ethernet.Send(buffer, ethernetDestination, EtherType.Arp);
    }
}
