using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Benchmarks;

/// <summary>The echo flood over IPv6: the two hosts get IPv6 addresses on the segment (duplicate address detection
/// and neighbour discovery run once, before the flood), then ICMPv6 echo requests from the sender are answered by the
/// receiver: two frames per request, as <see cref="EchoFlood"/> over IPv4.</summary>
public sealed class Echo6Flood : IFloodTraffic
{
    public static readonly Ipv6Address SenderAddress = Ipv6Address.Parse("2001:db8::a");
    public static readonly Ipv6Address ReceiverAddress = Ipv6Address.Parse("2001:db8::b");
    private const ushort Identifier = 0xF106;
    private readonly FloodWorld _world;
    private readonly int _dataLength;
    private ushort _sequence;

    public Echo6Flood(FloodWorld world, int dataLength = 56)
    {
        _world = world;
        _dataLength = dataLength;
        world.Sender.EnableIpv6(world.Sender.Interfaces[0], new Ipv6Cidr(SenderAddress, 64));
        world.Receiver.EnableIpv6(world.Receiver.Interfaces[0], new Ipv6Cidr(ReceiverAddress, 64));
        world.RunFor(Duration.FromSeconds(3)); // duplicate address detection and router solicitations settle
        var ping = world.Sender.PingAsync(ReceiverAddress);
        world.RunFor(Duration.FromSeconds(1));
        if (!ping.IsCompleted || ping.Result.Status != Api.PingStatus.Success)
            throw new InvalidOperationException("benchmark set-up failed: the two hosts cannot ping each other over IPv6");
    }

    public void SendBurst()
    {
        var icmp = _world.Sender.Ipv6.Icmp;
        for (int i = 0; i < FloodWorld.Burst; i++)
            icmp.SendEchoRequest(ReceiverAddress, Identifier, _sequence++, _dataLength);
    }

    public void Drain() { }
}
