using Netstack.Simulation.Capture;
using Netstack.Simulation.Wire;
using Netstack.Time;
using Netstack.Wire;
using Sim = Netstack.Simulation.Simulation;

namespace Netstack.Harness.Benchmarks;

/// <summary>Two hosts on one virtual segment, one flooding the other with ICMP echo requests that the
/// other answers: every request and every reply is a full trip through both stacks and the wire.
/// With a sink, each host's link is wrapped in a <see cref="CaptureLink"/>, so every frame is recorded once.</summary>
public sealed class EchoFloodWorld
{
    /// <summary>Echo requests sent per flood event; replies come back before the next event.</summary>
    public const int Burst = 64;
    private const ushort FloodIdentifier = 0xF100;

    private readonly Sim _sim;
    private readonly VirtualSegment _lan;
    private readonly NetworkStack _sender;
    private readonly Ipv4Address _target;
    private readonly FloodSource _source;
    private readonly Func<bool> _reachedTarget;
    private long _targetFrames;

    public EchoFloodWorld(IFrameSink? recording = null, int dataLength = 56)
    {
        _sim = new Sim(seed: 1, recording);
        _lan = _sim.AddSegment("lan");
        _sender = _sim.AddHost("a");
        var responder = _sim.AddHost("b");
        _sim.Attach(_sender, _lan, MacAddress.Parse("02:00:00:00:00:0a"), Ipv4Cidr.Parse("192.0.2.10/24"));
        _sim.Attach(responder, _lan, MacAddress.Parse("02:00:00:00:00:0b"), Ipv4Cidr.Parse("192.0.2.11/24"));
        _target = Ipv4Address.Parse("192.0.2.11");
        _sim.Start();
        _sim.Loop.RunUntil(Instant.FromMilliseconds(1));

        // Resolve ARP once so the flood measures the steady state, not resolution.
        var ping = _sender.PingAsync(_target);
        _sim.Loop.RunUntil(() => ping.IsCompleted, _sim.Loop.Now + TimeSpan.FromSeconds(1));
        if (!ping.IsCompleted || ping.Result.Status != Api.PingStatus.Success)
            throw new InvalidOperationException("benchmark set-up failed: the two hosts cannot ping each other");

        _source = new FloodSource(this, dataLength);
        _reachedTarget = () => _lan.FramesCarried >= _targetFrames;
        Responder = responder;
    }

    public NetworkStack Sender => _sender;
    public NetworkStack Responder { get; }
    public long FramesCarried => _lan.FramesCarried;

    /// <summary>Runs the flood until at least <paramref name="frames"/> more frames crossed the wire;
    /// returns how many did.</summary>
    public long Pump(long frames)
    {
        long before = _lan.FramesCarried;
        _targetFrames = before + frames;
        _source.Start();
        _sim.Loop.RunUntil(_reachedTarget, Instant.MaxValue);
        _source.Stop();
        // Let the replies still in flight arrive so the next window starts from a quiet wire.
        _sim.Loop.RunUntilIdle(_sim.Loop.Now + TimeSpan.FromMilliseconds(1));
        return _lan.FramesCarried - before;
    }

    /// <summary>Sends a burst of echo requests each virtual microsecond while running.</summary>
    private sealed class FloodSource(EchoFloodWorld world, int dataLength) : IScheduledAction
    {
        private ushort _sequence;
        private long _generation;
        private bool _running;

        public void Start()
        {
            _running = true;
            _generation++;
            world._sim.Loop.Schedule(world._sim.Loop.Now, this, _generation);
        }

        public void Stop() => _running = false;

        public void Run(long token)
        {
            if (!_running || token != _generation) return;
            var icmp = world._sender.Icmp;
            for (int i = 0; i < Burst; i++)
                icmp.SendEchoRequest(world._target, FloodIdentifier, _sequence++, dataLength);
            var loop = world._sim.Loop;
            loop.Schedule(loop.Now + TimeSpan.FromTicks(10), this, token);
        }
    }
}
