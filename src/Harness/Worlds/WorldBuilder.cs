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
            if (i.Ipv6 is { } v6) stack.EnableIpv6(attached, v6);
        }
        foreach (var r in routes ?? [])
            stack.AddRoute(r.Prefix, r.Gateway);
        return stack;
    }

    /// <summary>Brings every host up (gratuitous ARP) and returns the world.</summary>
    public World Start()
    {
        World.Start();
        return World;
    }
}
