using Netstack.Drivers.Capture;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using Netstack.Harness.Worlds;
using Netstack.Drivers;

namespace Netstack.Tests.Tcp;

/// <summary>Two full stacks on one virtual segment, for end-to-end tests. Application code is started
/// on the loop (<see cref="Spawn{T}"/>) so its awaits resume on the loop, in virtual time.</summary>
public sealed class TcpWorld
{
    public static readonly Ipv4Address AIp = Ipv4Address.Parse("192.0.2.1");
    public static readonly Ipv4Address BIp = Ipv4Address.Parse("192.0.2.2");

    public TcpWorld(ulong seed = 1, SegmentOptions? segment = null, TcpSettings? a = null, TcpSettings? b = null,
        IFrameSink? capture = null)
    {
        var world = new WorldBuilder(seed, capture)
            .Segment("lan", segment ?? new SegmentOptions { Latency = Duration.FromMilliseconds(5) })
            .Host("a", "lan", MacAddress.Parse("02:00:00:00:00:01"), new Ipv4Cidr(AIp, 24), new StackOptions { Tcp = a ?? new TcpSettings() })
            .Host("b", "lan", MacAddress.Parse("02:00:00:00:00:02"), new Ipv4Cidr(BIp, 24), new StackOptions { Tcp = b ?? new TcpSettings() });
        Sim = world.Start();
        Lan = Sim.Segments["lan"];
        A = world["a"];
        B = world["b"];
    }

    public World Sim { get; }
    public VirtualSegment Lan { get; }
    public NetworkStack A { get; }
    public NetworkStack B { get; }
    public Instant Now => Sim.Loop.Now;

    /// <summary>Starts <paramref name="app"/> on the event loop and returns its task.</summary>
    public Task<T> Spawn<T>(Func<Task<T>> app)
    {
        Task<T>? task = null;
        Sim.Loop.Post(() => task = app());
        Sim.Loop.RunUntil(Sim.Loop.Now);
        return task!;
    }

    public Task Spawn(Func<Task> app) => Spawn(async () =>
    {
        await app();
        return true;
    });

    /// <summary>Runs until <paramref name="condition"/> holds or <paramref name="virtualSeconds"/> pass.</summary>
    public bool RunUntil(Func<bool> condition, double virtualSeconds = 600) =>
        Sim.Loop.RunUntil(condition, Sim.Loop.Now + Duration.FromSeconds(virtualSeconds));

    public void RunFor(double virtualSeconds) => Sim.Loop.RunUntil(Sim.Loop.Now + Duration.FromSeconds(virtualSeconds));
}

/// <summary>Seeded random loss and reordering (a frame held back by a fixed extra delay lets the
/// frames behind it overtake it).</summary>
public sealed class LossyReorderingWire(SeededRandom random, double loss, double reorder, Duration reorderDelay) : IWireFaults
{
    public long Dropped { get; private set; }
    public long Reordered { get; private set; }

    public void Carry(VirtualSegment segment, VirtualPort from, VirtualPort to, ReadOnlySpan<byte> frame, Instant arrival)
    {
        if (random.NextDouble() < loss)
        {
            Dropped++;
            return;
        }
        if (random.NextDouble() < reorder)
        {
            Reordered++;
            arrival += reorderDelay;
        }
        segment.ScheduleArrival(to, frame, arrival);
    }
}
