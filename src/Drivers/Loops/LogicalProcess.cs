using Netstack.Drivers.Capture;
using Netstack.Drivers.Segments;
using Netstack.Time;

namespace Netstack.Drivers.Loops;

/// <summary>One partition of a <see cref="ParallelVirtualLoop"/>: a host's own event loop, and what the host did in
/// the current window that concerns others: frames it sent (the segment carries them when the window ends, in a
/// merged order no thread's timing affects), frames it recorded, and wire buffers its arrivals are done with. Only
/// the thread running the partition writes these during a window; the loop's thread reads them between windows,
/// so no lock is taken per frame: the window barrier orders the two.</summary>
internal sealed class LogicalProcess(int index, string name)
{
    public int Index { get; } = index;
    public string Name { get; } = name;
    public VirtualEventLoop Loop { get; } = new();

    /// <summary>The host's sends and recordings of this window, in the order it made them.</summary>
    public FrameLog Outbox { get; } = new();
    public FrameLog Recorded { get; } = new();

    private readonly List<(VirtualSegment.InFlightFrame, VirtualSegment.SharedFrame)> _returned = new();

    public void Send(VirtualPort from, ReadOnlySpan<byte> frame) => Outbox.Add(Loop.Now, frame, from, default);

    public void Returned(VirtualSegment.InFlightFrame inFlight, VirtualSegment.SharedFrame frame) =>
        _returned.Add((inFlight, frame));

    /// <summary>Gives the wire buffers back to their segments (between windows, on the loop's thread).</summary>
    public void RecycleReturned()
    {
        foreach (var (inFlight, frame) in _returned) inFlight.Segment.Recycle(inFlight, frame);
        _returned.Clear();
    }

    /// <summary>The sink a capture of this host's frames writes to: kept here until the window ends.</summary>
    public IFrameSink Capture => _capture ??= new RecordingSink(Recorded);
    private IFrameSink? _capture;

    private sealed class RecordingSink(FrameLog log) : IFrameSink
    {
        public void Write(Instant time, ReadOnlySpan<byte> frame, in FrameContext context) => log.Add(time, frame, null, context);
    }

    /// <summary>Frames with their time, in one growing byte arena: nothing is allocated per frame once it has grown.</summary>
    public sealed class FrameLog
    {
        private byte[] _bytes = new byte[1 << 16];
        private int _used;
        private Entry[] _entries = new Entry[256];

        public int Count { get; private set; }

        public readonly record struct Entry(Instant Time, int Offset, int Length, VirtualPort? Port, FrameContext Context);

        public void Add(Instant time, ReadOnlySpan<byte> frame, VirtualPort? port, in FrameContext context)
        {
            if (_used + frame.Length > _bytes.Length)
                Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + frame.Length));
            frame.CopyTo(_bytes.AsSpan(_used));
            if (Count == _entries.Length) Array.Resize(ref _entries, Count * 2);
            _entries[Count++] = new Entry(time, _used, frame.Length, port, context);
            _used += frame.Length;
        }

        public ref readonly Entry this[int i] => ref _entries[i];

        public ReadOnlySpan<byte> Bytes(in Entry entry) => _bytes.AsSpan(entry.Offset, entry.Length);

        public void Clear()
        {
            Array.Clear(_entries, 0, Count); // drop the port and context references
            Count = 0;
            _used = 0;
        }
    }
}
