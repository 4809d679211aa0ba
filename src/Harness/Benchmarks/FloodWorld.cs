using Netstack.Drivers.Capture;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Wire;
using Netstack.Harness.Worlds;
using Netstack.Drivers;

namespace Netstack.Harness.Benchmarks;

/// <summary>Two hosts on one virtual segment with traffic flooding between them: each flood event sends a
/// burst, and everything the burst triggers crosses the wire before the next one. With a sink, each host's
/// link is wrapped in a <see cref="CaptureLink"/>, so every frame is recorded once.</summary>
public sealed class FloodWorld
{
    /// <summary>Frames (or requests) a flood sends per event.</summary>
    public const int Burst = 64;

    private readonly World _sim;
    private readonly VirtualSegment _lan;
    private readonly FloodSource _source;
    private readonly Func<bool> _reachedTarget;
    private long _targetFrames;

    public FloodWorld(Func<FloodWorld, IFloodTraffic> traffic, IFrameSink? recording = null)
    {
        var world = new WorldBuilder(seed: 1, recording)
            .Segment("lan")
            .Host("a", "lan", "02:00:00:00:00:0a", "192.0.2.10/24")
            .Host("b", "lan", "02:00:00:00:00:0b", "192.0.2.11/24");
        _sim = world.Start();
        _lan = _sim.Segments["lan"];
        Sender = world["a"];
        Receiver = world["b"];
        ReceiverAddress = Ipv4Address.Parse("192.0.2.11");
        _sim.Loop.RunUntil(Instant.FromMilliseconds(1));

        // Resolve ARP once so the flood measures the steady state, not resolution.
        var ping = Sender.PingAsync(ReceiverAddress);
        _sim.Loop.RunUntil(() => ping.IsCompleted, _sim.Loop.Now + Duration.FromSeconds(1));
        if (!ping.IsCompleted || ping.Result.Status != Api.PingStatus.Success)
            throw new InvalidOperationException("benchmark set-up failed: the two hosts cannot ping each other");

        Traffic = traffic(this);
        _source = new FloodSource(this);
        _reachedTarget = () => _lan.FramesCarried >= _targetFrames;
    }

    public NetworkStack Sender { get; }
    public NetworkStack Receiver { get; }
    public Ipv4Address ReceiverAddress { get; }
    public IFloodTraffic Traffic { get; }
    public long FramesCarried => _lan.FramesCarried;

    /// <summary>Runs the world's clock forward by <paramref name="time"/> without flooding (set-up of the traffic).</summary>
    public void RunFor(Duration time) => _sim.Loop.RunUntil(static () => false, _sim.Loop.Now + time);

    /// <summary>Runs the flood until at least <paramref name="frames"/> more frames crossed the wire;
    /// returns how many did.</summary>
    public long Pump(long frames)
    {
        long before = _lan.FramesCarried;
        _targetFrames = before + frames;
        _source.Start();
        _sim.Loop.RunUntil(_reachedTarget, Instant.MaxValue);
        _source.Stop();
        // Let what is still in flight arrive so the next window starts from a quiet wire.
        _sim.Loop.RunUntil(static () => false, _sim.Loop.Now + Duration.FromMilliseconds(1));
        Traffic.Drain();
        return _lan.FramesCarried - before;
    }

    /// <summary>Calls the traffic once per virtual microsecond while running.</summary>
    private sealed class FloodSource(FloodWorld world) : IScheduledAction
    {
        private long _generation;
        private bool _running;

        public void Start()
        {
            _running = true;
            _generation++;
            world._sim.Loop.Schedule(world._sim.Loop.Now, this, _generation);
        }

        public void Stop() => _running = false;

        public bool IsCurrent(long token) => _running && token == _generation;

        public void Run(long token)
        {
            if (!_running || token != _generation) return;
            world.Traffic.SendBurst();
            var loop = world._sim.Loop;
            loop.Schedule(loop.Now + Duration.FromMicroseconds(1), this, token);
        }
    }
}

/// <summary>What a flood sends each event, and how the receiving side keeps up.</summary>
public interface IFloodTraffic
{
    void SendBurst();

    /// <summary>Consumes whatever the receiver queued (called at the end of each window).</summary>
    void Drain();
}

/// <summary>Echo requests from the sender, answered by the receiver: two frames per request.</summary>
public sealed class EchoFlood(FloodWorld world, int dataLength = 56) : IFloodTraffic
{
    private const ushort Identifier = 0xF100;
    private ushort _sequence;

    public void SendBurst()
    {
        var icmp = world.Sender.Icmp;
        for (int i = 0; i < FloodWorld.Burst; i++)
            icmp.SendEchoRequest(world.ReceiverAddress, Identifier, _sequence++, dataLength);
    }

    public void Drain() { }
}

/// <summary>UDP datagrams from a socket on the sender to a bound socket on the receiver, which reads them
/// into its own buffer: one frame per datagram.</summary>
public sealed class UdpFlood : IFloodTraffic
{
    private const ushort Port = 9000;
    private readonly FloodWorld _world;
    private readonly Api.UdpSocket _sender;
    private readonly Api.UdpSocket _receiver;
    private readonly byte[] _payload;
    private readonly byte[] _into = new byte[2048];

    public UdpFlood(FloodWorld world, int payloadLength = 64)
    {
        _world = world;
        _sender = world.Sender.OpenUdp();
        _receiver = world.Receiver.OpenUdp(Port, receiveQueueLimit: FloodWorld.Burst * 2);
        _payload = new byte[payloadLength];
        for (int i = 0; i < _payload.Length; i++) _payload[i] = (byte)i;
    }

    public long DatagramsReceived => _receiver.DatagramsReceived;

    public void SendBurst()
    {
        Drain(); // the application reads what arrived since the last burst
        for (int i = 0; i < FloodWorld.Burst; i++)
            _sender.SendTo(_payload, _world.ReceiverAddress, Port);
    }

    public void Drain()
    {
        while (_receiver.TryReceiveFrom(_into, out _)) { }
    }
}
