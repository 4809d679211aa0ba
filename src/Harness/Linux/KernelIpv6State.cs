using Netstack.Harness.Hosts;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Linux;

/// <summary>The IPv6 state of the kernel's tap, as <c>ip -6 neigh</c> and <c>ip -6 -o addr</c> show it (netlink, the
/// kernel's public interface): the neighbour cache and the addresses with their duplicate address detection flags.
/// A read starts a process (milliseconds, on the loop thread), so one read serves the checks of the next
/// <see cref="ReuseFor"/> of real time: a state expectation polled until it holds does not start one per poll.</summary>
public sealed class KernelIpv6State(NetworkNamespace ns, string device)
{
    /// <summary>How long one read of the kernel's tables answers for.</summary>
    public static readonly Duration ReuseFor = Duration.FromMilliseconds(5);

    private (Instant At, IReadOnlyList<Ipv6NeighborView> Entries)? _neighbors;
    private (Instant At, IReadOnlyList<Ipv6AddressView> Entries)? _addresses;

    public IReadOnlyList<Ipv6NeighborView> Neighbors(Instant now) =>
        Cached(ref _neighbors, now, () => ParseNeighbors(Read("neigh", "show", "dev", device)));

    public IReadOnlyList<Ipv6AddressView> Addresses(Instant now) =>
        Cached(ref _addresses, now, () => ParseAddresses(Read("-o", "addr", "show", "dev", device)));

    private static IReadOnlyList<T> Cached<T>(ref (Instant At, IReadOnlyList<T> Entries)? cache, Instant now, Func<IReadOnlyList<T>> read)
    {
        if (cache is { } c && now >= c.At && now - c.At < ReuseFor) return c.Entries;
        var entries = read();
        cache = (now, entries);
        return entries;
    }

    private string Read(params string[] args)
    {
        var r = CommandRunner.Run("ip", ["-n", ns.Name, "-6", .. args], Duration.FromSeconds(5));
        if (r.ExitCode != 0) throw new InvalidOperationException($"ip -n {ns.Name} -6 {string.Join(' ', args)}: {r}");
        return r.Output;
    }

    /// <summary><c>ip -6 neigh show dev D</c>: "2001:db8::a lladdr 02:00:00:00:00:0a router REACHABLE", one entry a
    /// line; an INCOMPLETE or FAILED entry has no lladdr.</summary>
    public static IReadOnlyList<Ipv6NeighborView> ParseNeighbors(string output)
    {
        var entries = new List<Ipv6NeighborView>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2 || !Ipv6Address.TryParse(words[0], out var address)) continue;
            MacAddress? mac = null;
            int lladdr = Array.IndexOf(words, "lladdr");
            if (lladdr >= 0 && lladdr + 1 < words.Length && MacAddress.TryParse(words[lladdr + 1], out var m)) mac = m;
            entries.Add(new Ipv6NeighborView(address, words[^1].ToLowerInvariant(), mac, Array.IndexOf(words, "router") >= 0));
        }
        return entries.OrderBy(e => e.Address).ToList();
    }

    /// <summary><c>ip -6 -o addr show dev D</c>: "2: tap0    inet6 2001:db8::b/64 scope global tentative dadfailed \
    /// valid_lft forever ...", one address a line. dadfailed is a duplicate (RFC 4862 §5.4.5), tentative is still
    /// probing; dynamic marks an address from a router advertisement, scope link the link-local one.</summary>
    public static IReadOnlyList<Ipv6AddressView> ParseAddresses(string output)
    {
        var addresses = new List<Ipv6AddressView>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int inet6 = Array.IndexOf(words, "inet6");
            if (inet6 < 0 || inet6 + 1 >= words.Length || !Ipv6Cidr.TryParse(words[inet6 + 1], out var cidr)) continue;
            int end = Array.FindIndex(words, inet6, w => w == "\\" || w.StartsWith("valid_lft", StringComparison.Ordinal));
            var flags = words[(inet6 + 2)..(end < 0 ? words.Length : end)];
            bool Has(string flag) => Array.IndexOf(flags, flag) >= 0;
            string state = Has("dadfailed") ? "duplicate" : Has("tentative") ? "tentative" : Has("deprecated") ? "deprecated" : "preferred";
            int scope = Array.IndexOf(flags, "scope");
            string origin = scope >= 0 && scope + 1 < flags.Length && flags[scope + 1] == "link" ? "link-local" : Has("dynamic") ? "slaac" : "static";
            addresses.Add(new Ipv6AddressView(cidr.Address, cidr.PrefixLength, state, origin));
        }
        return addresses;
    }
}
