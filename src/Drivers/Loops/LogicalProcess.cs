using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Segments;
using Netstack.Time;

namespace Netstack.Drivers.Loops;

/// <summary>One partition of a <see cref="ParallelVirtualLoop"/>: a host's own event loop, and its traffic with the
/// others. What the host sends in a window waits in its outbox; between windows the loop's thread has the segments
/// carry it, in a merged order no thread's timing affects, and each arrival is queued in the receiving partition's
/// inbox, still pointing into the sender's outbox (kept for one more window); the receiving partition copies and
/// schedules its arrivals itself, on its own thread, when its next window starts. So the one serial step per frame
/// is the switching decision, and no lock is taken per frame: the window barrier orders the threads.</summary>
internal sealed class LogicalProcess(ParallelVirtualLoop owner, int index, string name)
{
    public int Index { get; } = index;
    public string Name { get; } = name;
    public VirtualEventLoop Loop { get; } = new();

    /// <summary>The host's sends of this window, in the order it made them; the previous window's, which inboxes may
    /// still point into; what its captures recorded this window.</summary>
    public FrameArena Outbox { get; private set; } = new();
    private FrameArena _carried = new();
    public FrameArena Recorded { get; } = new();

    private readonly List<InboundFrame> _inbox = new();
    private readonly FrameArena _altered = new(); // frames a fault changed, copied here
    private readonly Stack<Arrival> _free = new();

    /// <summary>The earliest arrival waiting in the inbox, if any.</summary>
    public Instant? EarliestInbound { get; private set; }

    public void Send(VirtualPort from, ReadOnlySpan<byte> frame) => Outbox.Add(Loop.Now, frame, from, default);

    /// <summary>Between windows: the outbox just carried is kept while inboxes point into it; the one before is free.</summary>
    public FrameArena TakeOutbox()
    {
        var sent = Outbox;
        Outbox = _carried;
        Outbox.Clear();
        _carried = sent;
        return sent;
    }

    /// <summary>Queues a frame arriving at <paramref name="to"/> (a port of this partition's host) for the next window.
    /// The frame the loop is carrying is referenced where it lies; any other (a fault altered it) is copied.</summary>
    public void Arrive(VirtualPort to, ReadOnlySpan<byte> frame, Instant arrival, bool checksumsVouched)
    {
        FrameArena log;
        int offset;
        if (owner.IsCarrying(frame, out var carriedLog, out int carriedOffset))
        {
            log = carriedLog;
            offset = carriedOffset;
        }
        else
        {
            log = _altered;
            offset = _altered.Add(arrival, frame, to, default);
        }
        _inbox.Add(new InboundFrame(to, arrival, checksumsVouched, log, offset, frame.Length));
        if (EarliestInbound is not { } earliest || arrival < earliest) EarliestInbound = arrival;
    }

    /// <summary>Schedules the inbox's arrivals on the host's loop, in the order they were queued (on the partition's
    /// thread at the start of its window, or on the loop's between windows).</summary>
    public void Ingest()
    {
        if (_inbox.Count == 0) return;
        var now = Loop.Now;
        foreach (var inbound in _inbox)
        {
            if (inbound.Time < now)
                throw new InvalidOperationException(
                    $"a frame for {inbound.To.Name} was scheduled to arrive at {inbound.Time}, inside the window already run " +
                    $"(to {now}): a fault on a partitioned wire may delay frames, never advance them");
            var arrival = _free.Count > 0 ? _free.Pop() : new Arrival(this);
            arrival.Load(inbound.To, inbound.Log.Bytes(inbound.Offset, inbound.Length), inbound.ChecksumsVouched);
            Loop.Schedule(inbound.Time, arrival, 0);
        }
        _inbox.Clear();
        _altered.Clear();
        EarliestInbound = null;
    }

    /// <summary>The sink a capture of this host's frames writes to: kept here until the window ends.</summary>
    public IFrameSink Capture => _capture ??= new RecordingSink(Recorded);
    private IFrameSink? _capture;

    private sealed class RecordingSink(FrameArena log) : IFrameSink
    {
        public void Write(Instant time, ReadOnlySpan<byte> frame, in FrameContext context) => log.Add(time, frame, null, context);
    }

    private readonly record struct InboundFrame(VirtualPort To, Instant Time, bool ChecksumsVouched, FrameArena Log, int Offset, int Length);

    // Enough for a megabyte window of full frames in flight to one host to allocate nothing.
    private const int MaxPooledArrivals = 1 << 12;

    /// <summary>A frame's arrival at a port of this host, with its own copy of the bytes; back to the pool once run.</summary>
    private sealed class Arrival(LogicalProcess partition) : IScheduledAction
    {
        private byte[] _buffer = [];
        private int _length;
        private bool _vouched;
        private VirtualPort? _to;

        public void Load(VirtualPort to, ReadOnlySpan<byte> frame, bool vouched)
        {
            if (_buffer.Length < frame.Length) _buffer = new byte[Math.Max(frame.Length, 1518)];
            frame.CopyTo(_buffer);
            _length = frame.Length;
            _vouched = vouched;
            _to = to;
        }

        public void Run(long token)
        {
            var to = _to!;
            _to = null;
            try
            {
                to.Deliver(_buffer.AsSpan(0, _length), _vouched);
            }
            finally
            {
                if (partition._free.Count < MaxPooledArrivals) partition._free.Push(this);
            }
        }
    }

    /// <summary>Frames with their time, in one growing byte arena: nothing is allocated per frame once it has grown.</summary>
    public sealed class FrameArena
    {
        private byte[] _bytes = new byte[1 << 16];
        private int _used;
        private Entry[] _entries = new Entry[256];

        public int Count { get; private set; }

        public readonly record struct Entry(Instant Time, int Offset, int Length, VirtualPort? Port, FrameContext Context);

        /// <summary>Appends a frame; returns where its bytes start.</summary>
        public int Add(Instant time, ReadOnlySpan<byte> frame, VirtualPort? port, in FrameContext context)
        {
            if (_used + frame.Length > _bytes.Length)
                Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + frame.Length));
            frame.CopyTo(_bytes.AsSpan(_used));
            if (Count == _entries.Length) Array.Resize(ref _entries, Count * 2);
            _entries[Count++] = new Entry(time, _used, frame.Length, port, context);
            int offset = _used;
            _used += frame.Length;
            return offset;
        }

        public ref readonly Entry this[int i] => ref _entries[i];

        public ReadOnlySpan<byte> Bytes(in Entry entry) => _bytes.AsSpan(entry.Offset, entry.Length);

        public ReadOnlySpan<byte> Bytes(int offset, int length) => _bytes.AsSpan(offset, length);

        /// <summary>True when <paramref name="frame"/> is the bytes of <paramref name="entry"/> itself, not a copy.</summary>
        public bool Holds(ReadOnlySpan<byte> frame, in Entry entry) =>
            frame.Length == entry.Length && entry.Length > 0 &&
            Unsafe.AreSame(ref MemoryMarshal.GetReference(frame), ref _bytes[entry.Offset]);

        public void Clear()
        {
            Array.Clear(_entries, 0, Count); // drop the port and context references
            Count = 0;
            _used = 0;
        }
    }
}
