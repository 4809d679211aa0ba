using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Network.Ipv6;

/// <summary>Path MTU per destination (RFC 8201): lowered by Packet Too Big, never below 1280 bytes (§4), forgotten
/// after <see cref="Ipv6Options.PathMtuTimeout"/> so a larger path is tried again (§4), bounded in size.</summary>
public sealed class PathMtuCache
{
    private readonly NetworkStack _stack;
    private readonly Dictionary<Ipv6Address, (int Mtu, Instant Until)> _entries = new();

    internal PathMtuCache(NetworkStack stack) => _stack = stack;

    /// <summary>Destinations with a learned path MTU.</summary>
    public int Count => _entries.Count;

    /// <summary>The MTU to use towards <paramref name="destination"/>: the learned one while it holds, capped by
    /// <paramref name="linkMtu"/>.</summary>
    public int Get(Ipv6Address destination, int linkMtu)
    {
        if (_entries.Count == 0 || !_entries.TryGetValue(destination, out var e)) return linkMtu;
        if (_stack.Scheduler.Now >= e.Until)
        {
            _entries.Remove(destination);
            return linkMtu;
        }
        return Math.Min(e.Mtu, linkMtu);
    }

    /// <summary>Applies a Packet Too Big's MTU; true when it lowered the estimate.</summary>
    internal bool Lower(Ipv6Address destination, uint reported, int linkMtu)
    {
        int mtu = (int)Math.Clamp(reported, (uint)Ipv6Packet.MinimumMtu, (uint)int.MaxValue);
        if (mtu >= Get(destination, linkMtu)) return false;
        var options = _stack.Options.Ipv6;
        if (!_entries.ContainsKey(destination) && _entries.Count >= options.MaxPathMtuEntries)
        {
            // Full: forget the entry closest to expiry.
            Ipv6Address victim = default;
            var soonest = Instant.MaxValue;
            foreach (var (address, entry) in _entries)
                if (entry.Until < soonest)
                {
                    soonest = entry.Until;
                    victim = address;
                }
            _entries.Remove(victim);
        }
        _entries[destination] = (mtu, _stack.Scheduler.Now + options.PathMtuTimeout);
        _stack.Counters.Ipv6PathMtuReductions++;
        return true;
    }
}
