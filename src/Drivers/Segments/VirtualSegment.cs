using System.Buffers;
using Netstack.Link;
using Netstack.Drivers.Loops;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Drivers.Segments;

/// <summary>Properties of a simulated Ethernet segment.</summary>
public sealed record SegmentOptions
{
    /// <summary>One-way propagation delay added to every frame.</summary>
    public Duration Latency { get; init; } = Duration.Zero;
    /// <summary>Bits per second each port can transmit; 0 for infinitely fast (no serialization delay).</summary>
    public long BandwidthBitsPerSecond { get; init; }
    /// <summary>Largest Ethernet payload the segment carries.</summary>
    public int Mtu { get; init; } = 1500;
}

/// <summary>A simulated Ethernet segment behaving like a learning switch: unicast frames go to the
/// port that last sent from that MAC, broadcasts and unknown destinations to every other port.
/// Frames arrive after serialization (bandwidth) plus latency, in order per sender.</summary>
public sealed class VirtualSegment
{
    private readonly List<VirtualPort> _ports = new();
    private readonly Dictionary<MacAddress, VirtualPort> _learned = new();
    private readonly Stack<InFlightFrame> _freeFrames = new();
    private readonly Stack<SharedFrame> _freeShared = new();

    public VirtualSegment(IScheduler loop, SegmentOptions? options = null, string name = "lan")
    {
        Loop = loop;
        Options = options ?? new SegmentOptions();
        Name = name;
    }

    public IScheduler Loop { get; }
    public SegmentOptions Options { get; }
    public string Name { get; }
    public IReadOnlyList<VirtualPort> Ports => _ports;

    /// <summary>Decides the fate of each frame on its way to each receiving port (drop, delay, corrupt...).</summary>
    public IWireFaults? Faults { get; set; }

    /// <summary>Frames larger than the MTU allows, dropped by the segment.</summary>
    public long OversizeDropped { get; private set; }
    public long FramesCarried { get; private set; }

    public VirtualPort Connect(string name)
    {
        var port = new VirtualPort(this, name);
        _ports.Add(port);
        return port;
    }

    /// <summary>Serialization times are whole multiples of this: the golden traces were recorded when they were
    /// counted in 100 ns ticks, and exact nanoseconds would move frames on slow links by up to a microsecond.</summary>
    private static readonly Duration SerializationQuantum = Duration.FromNanoseconds(Duration.NanosecondsPerTick);

    private Duration SerializationTime(int frameLength)
    {
        long ns = frameLength * 8L * Duration.NanosecondsPerSecond / Options.BandwidthBitsPerSecond;
        return Duration.FromNanoseconds(ns - ns % SerializationQuantum.Nanoseconds);
    }

    internal void Transmit(VirtualPort from, ReadOnlySpan<byte> frame)
    {
        if (frame.Length > Options.Mtu + EthernetFrame.HeaderLength)
        {
            OversizeDropped++;
            return;
        }
        var now = Loop.Now;
        // Serialization: the port sends one frame at a time at its bandwidth.
        var start = from.BusyUntil > now ? from.BusyUntil : now;
        var done = Options.BandwidthBitsPerSecond > 0 ? start + SerializationTime(frame.Length) : start;
        from.BusyUntil = done;
        var arrival = done + Options.Latency;
        FramesCarried++;

        if (frame.Length >= EthernetFrame.HeaderLength)
        {
            var f = new EthernetFrame(frame);
            if (!f.Source.IsMulticast) Learn(f.Source, from);
            if (!f.Destination.IsMulticast && Lookup(from, f.Destination) is { } to && to != from)
            {
                Deliver(from, to, frame, arrival);
                return;
            }
        }
        if (Faults is null)
        {
            Flood(from, frame, arrival, from.VouchesForTransportChecksums);
            return;
        }
        foreach (var to in _ports)
            if (to != from) Deliver(from, to, frame, arrival);
    }

    // The learning table changes rarely (a host's first frame, a MAC moving), so each port remembers its last source
    // and destination look-up, valid while the table's version is unchanged: a bulk transfer then touches the
    // dictionary not at all instead of twice per frame.
    private long _learnedVersion;

    private void Learn(MacAddress source, VirtualPort from)
    {
        if (from.LearnedSource == source && from.LearnedSourceVersion == _learnedVersion) return;
        if (!_learned.TryGetValue(source, out var was) || was != from)
        {
            _learned[source] = from;
            _learnedVersion++;
        }
        from.LearnedSource = source;
        from.LearnedSourceVersion = _learnedVersion;
    }

    private VirtualPort? Lookup(VirtualPort from, MacAddress destination)
    {
        if (from.LookedUpDestination == destination && from.LookedUpVersion == _learnedVersion) return from.LookedUpPort;
        var to = _learned.GetValueOrDefault(destination);
        from.LookedUpDestination = destination;
        from.LookedUpVersion = _learnedVersion;
        from.LookedUpPort = to;
        return to;
    }

    /// <summary>A broadcast or unknown destination: one shared copy of the frame for every receiving port, so a
    /// gratuitous ARP on a segment of N hosts holds one buffer, not N (N of them at once held N² buffers).</summary>
    private void Flood(VirtualPort from, ReadOnlySpan<byte> frame, Instant arrival, bool checksumsVouched)
    {
        int receivers = _ports.Count - 1;
        if (receivers <= 0) return;
        if (from.Partition is not null)
        {
            foreach (var to in _ports)
                if (to != from) to.Partition!.Arrive(to, frame, arrival, checksumsVouched);
            return;
        }
        var shared = RentShared(frame, receivers, checksumsVouched);
        foreach (var to in _ports)
            if (to != from) Loop.Schedule(arrival, RentInFlight(to, shared), 0);
    }

    private void Deliver(VirtualPort from, VirtualPort to, ReadOnlySpan<byte> frame, Instant arrival)
    {
        if (Faults is { } faults)
        {
            faults.Carry(this, from, to, frame, arrival);
            return;
        }
        if (to.Partition is { } partition)
        {
            partition.Arrive(to, frame, arrival, from.VouchesForTransportChecksums);
            return;
        }
        ScheduleUnicast(to, frame, arrival, from.VouchesForTransportChecksums);
    }

    /// <summary>Puts a copy of <paramref name="frame"/> in flight to <paramref name="to"/>, arriving at
    /// <paramref name="arrival"/>. Fault injectors call this for each copy they let through (the receiver verifies its
    /// checksums: the injector may have altered it).</summary>
    public void ScheduleArrival(VirtualPort to, ReadOnlySpan<byte> frame, Instant arrival)
    {
        // In a parallel world the receiving partition queues the frame for its next window (see ParallelVirtualLoop).
        if (to.Partition is { } partition) partition.Arrive(to, frame, arrival, checksumsVouched: false);
        else ScheduleUnicast(to, frame, arrival, checksumsVouched: false);
    }

    /// <summary>Frame copies currently held by frames in flight (a broadcast counts once): what the wire's
    /// memory grows with.</summary>
    public int FrameCopiesInFlight { get; private set; }

    // A unicast frame (nearly every frame) in flight holds a slot: a pooled buffer found by the arrival's token, which
    // also carries the frame's length and whether its checksums are vouched for; its receiving port's one arrival
    // action delivers it. Nothing per frame but the buffer is touched (issue 15: each cold object a frame touches on
    // its way costs more than the work done with it).
    private readonly List<byte[]> _slotBuffers = new();
    private readonly Stack<int> _freeSlots = new();

    private void ScheduleUnicast(VirtualPort to, ReadOnlySpan<byte> frame, Instant arrival, bool checksumsVouched)
    {
        int slot;
        byte[] buffer;
        if (_freeSlots.Count > 0)
        {
            slot = _freeSlots.Pop();
            buffer = _slotBuffers[slot];
            _pooledFrameBytes -= buffer.Length;
        }
        else
        {
            slot = _slotBuffers.Count;
            _slotBuffers.Add(buffer = []);
        }
        // Stored back only when it had to grow: a reference store into the list costs a write barrier and a
        // covariance check, on every frame.
        if (buffer.Length < frame.Length) _slotBuffers[slot] = buffer = FitFrame(buffer, frame.Length);
        frame.CopyTo(buffer);
        FrameCopiesInFlight++;
        Loop.Schedule(arrival, to.Arrival ??= new UnicastArrival(this, to),
            (long)slot << 32 | (long)frame.Length << 1 | (checksumsVouched ? 1L : 0L));
    }

    private void FreeSlot(int slot, byte[] buffer)
    {
        FrameCopiesInFlight--;
        if (!KeepPooled(buffer.Length))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _slotBuffers[slot] = [];
        }
        _freeSlots.Push(slot);
    }

    /// <summary>Unicast frames' arrivals at one port; the token names the frame's slot (see
    /// <see cref="ScheduleUnicast"/>).</summary>
    internal sealed class UnicastArrival(VirtualSegment segment, VirtualPort to) : IScheduledAction
    {
        public void Run(long token)
        {
            int slot = (int)(token >> 32);
            var buffer = segment._slotBuffers[slot];
            try
            {
                to.Deliver(buffer.AsSpan(0, (int)(token & uint.MaxValue) >> 1), (token & 1) != 0);
            }
            finally
            {
                segment.FreeSlot(slot, buffer);
            }
        }

        bool IScheduledAction.IsCurrent(long token) => true;
    }

    private SharedFrame RentShared(ReadOnlySpan<byte> frame, int receivers, bool checksumsVouched)
    {
        SharedFrame shared;
        if (_freeShared.Count > 0)
        {
            shared = _freeShared.Pop();
            _pooledFrameBytes -= shared.Capacity;
        }
        else shared = new SharedFrame();
        shared.Load(frame, receivers, checksumsVouched);
        FrameCopiesInFlight++;
        return shared;
    }

    private InFlightFrame RentInFlight(VirtualPort to, SharedFrame frame)
    {
        var inFlight = _freeFrames.Count > 0 ? _freeFrames.Pop() : new InFlightFrame(this);
        inFlight.Load(to, frame);
        return inFlight;
    }

    private void Recycle(InFlightFrame inFlight, SharedFrame frame)
    {
        // The pools keep what steady traffic reuses; a burst (N hosts broadcasting at once puts N² arrivals in
        // flight) is left to the collector rather than held for the rest of the run.
        if (_freeFrames.Count < MaxPooledArrivals) _freeFrames.Push(inFlight);
        if (--frame.Receivers > 0) return;
        FrameCopiesInFlight--;
        if (KeepPooled(frame.Capacity)) _freeShared.Push(frame);
        else frame.Release();
    }

    // Enough for steady bulk traffic (a megabyte window of full frames in flight both ways) to allocate nothing.
    private const int MaxPooledArrivals = 1 << 16;
    private const long MaxPooledFrameBytes = 16L << 20;
    private long _pooledFrameBytes;
    // A frame buffer holds at least a full Ethernet frame, so one reused for steady traffic never grows.
    private const int MinFrameBuffer = 1518;

    /// <summary>Whether a freed frame buffer of <paramref name="capacity"/> bytes stays in the pools (counted) or goes
    /// back to the shared array pool: the pools keep at most <see cref="MaxPooledFrameBytes"/>.</summary>
    private bool KeepPooled(int capacity)
    {
        if (_pooledFrameBytes + capacity > MaxPooledFrameBytes) return false;
        _pooledFrameBytes += capacity;
        return true;
    }

    /// <summary><paramref name="buffer"/> when it holds <paramref name="length"/> bytes, else a larger one rented in
    /// its place (the old one returned).</summary>
    private static byte[] FitFrame(byte[] buffer, int length)
    {
        if (buffer.Length >= length) return buffer;
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
        return ArrayPool<byte>.Shared.Rent(Math.Max(length, MinFrameBuffer));
    }

    /// <summary>The bytes of a frame on the wire, shared by every port it is on its way to; back to the pool when the
    /// last of them has it.</summary>
    private sealed class SharedFrame
    {
        private byte[] _buffer = [];
        private int _length;

        public int Receivers;

        /// <summary>Its sender computed its TCP/UDP checksums and nothing has altered it since (see
        /// <see cref="VirtualPort.VouchesForTransportChecksums"/>).</summary>
        public bool ChecksumsVouched;

        public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, _length);

        public int Capacity => _buffer.Length;

        public void Release()
        {
            if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        public void Load(ReadOnlySpan<byte> frame, int receivers, bool checksumsVouched)
        {
            Receivers = receivers;
            ChecksumsVouched = checksumsVouched;
            _length = frame.Length;
            _buffer = FitFrame(_buffer, frame.Length);
            frame.CopyTo(_buffer);
        }
    }

    /// <summary>One port's arrival of a frame on the wire, delivered when its event runs.</summary>
    private sealed class InFlightFrame(VirtualSegment segment) : IScheduledAction
    {
        private SharedFrame? _frame;
        private VirtualPort? _to;

        public void Load(VirtualPort to, SharedFrame frame)
        {
            _to = to;
            _frame = frame;
        }

        public void Run(long token)
        {
            var to = _to!;
            var frame = _frame!;
            _to = null;
            _frame = null;
            try
            {
                to.Deliver(frame.Bytes, frame.ChecksumsVouched);
            }
            finally
            {
                segment.Recycle(this, frame);
            }
        }
    }
}

/// <summary>Decides what happens to frames crossing a segment. Implementations call
/// <see cref="VirtualSegment.ScheduleArrival"/> zero (drop), one or more (duplicate) times, at any time
/// (delay, reorder), with the frame as given or altered (corrupt, truncate).</summary>
public interface IWireFaults
{
    void Carry(VirtualSegment segment, VirtualPort from, VirtualPort to, ReadOnlySpan<byte> frame, Instant arrival);
}
