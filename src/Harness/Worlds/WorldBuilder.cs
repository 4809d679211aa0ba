using Netstack.Harness.Scenarios;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Loops;
using Netstack.Drivers.Segments;
using Netstack.Wire;
using Netstack.Drivers;

namespace Netstack.Harness.Worlds;

/// <summary>Builds a world of segments and stacks: the one way the scenario runner, the tests, the fuzzer and
/// the benchmarks lay out hosts. Hosts draw their random generators in the order they are added, so the same
/// calls with the same seed give the same world, byte for byte.</summary>
public sealed class WorldBuilder
{
    public WorldBuilder(ulong seed, IFrameSink? capture = null, IEventLoop? loop = null) =>
        World = new World(seed, capture, loop);

    /// <summary>The world as built so far.</summary>
    public World World { get; }

    public WorldBuilder Segment(string name, SegmentOptions? options = null)
    {
        World.AddSegment(name, options);
        return this;
    }

    /// <summary>A host with one interface on <paramref name="segment"/>, written as scenarios write it
    /// (<c>02:00:00:00:00:0a</c>, <c>192.0.2.10/24</c>).</summary>
    public WorldBuilder Host(string name, string segment, string mac, string address, StackOptions? options = null) =>
        Host(name, segment, MacAddress.Parse(mac), Ipv4Cidr.Parse(address), options);

    public WorldBuilder Host(string name, string segment, MacAddress mac, Ipv4Cidr address, StackOptions? options = null)
    {
        AddHost(name, options, [new InterfaceSpec(segment, mac, address, null)]);
        return this;
    }

    /// <summary>A stack added so far, by name.</summary>
    public NetworkStack this[string host] => World.Hosts[host];

    /// <summary>Adds a stack attached to its segments, with its routes; returns it.</summary>
    public NetworkStack AddHost(string name, StackOptions? options, IReadOnlyList<InterfaceSpec> interfaces,
        IReadOnlyList<RouteSpec>? routes = null)
    {
        var stack = World.AddHost(name, options);
        foreach (var i in interfaces)
        {
            var attached = World.Attach(stack, World.Segments[i.Segment], i.Mac, i.Address, i.Mtu);
            if (i.HasIpv6) _ipv6ToEnable.Add((stack, attached, i.Ipv6));
        }
        foreach (var r in routes ?? [])
            stack.AddRoute(r.Prefix, r.Gateway);
        return stack;
    }

    private readonly List<(NetworkStack Stack, Netstack.Link.NetworkInterface Interface, Ipv6Cidr? Address)> _ipv6ToEnable = new();

    /// <summary>Turns IPv6 on where the hosts' interfaces have it, in the order the hosts were added. It is done when
    /// the world starts, not as hosts are added: enabling sends (MLD, duplicate address probes) and arms timers at
    /// once, and on the tap wire nothing may be scheduled before the clock is zeroed.</summary>
    public void EnableIpv6()
    {
        foreach (var (stack, iface, address) in _ipv6ToEnable)
        {
            if (address is { } a) stack.EnableIpv6(iface, a);
            else stack.EnableIpv6(iface);
        }
        _ipv6ToEnable.Clear();
    }

    /// <summary>Brings every host up (IPv6, then gratuitous ARP) and returns the world.</summary>
    public World Start()
    {
        EnableIpv6();
        World.Start();
        return World;
    }
}
