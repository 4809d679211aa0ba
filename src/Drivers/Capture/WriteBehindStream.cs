namespace Netstack.Drivers.Capture;

/// <summary>Writes an append-only stream (a pcap file) from buffers that one producer fills and submits; full buffers
/// are written, in order, by a thread of its own, so the event loop
/// that fills them does not wait for the kernel (about a fifth of a recorded flood's time was the <c>write</c>
/// call: the copy into the page cache and its page allocation). The thread starts with the first full buffer: a
/// capture that never fills one is written by <see cref="WriteNow"/> on the caller's thread and costs no thread. At most
/// <see cref="BuffersInFlight"/> buffers wait; a writer further ahead blocks until one is free, so memory stays
/// bounded when the disk is slower than the loop. An I/O error on the writing thread is kept and thrown to the caller
/// at its next call (<see cref="RentBuffer"/>, <see cref="Submit"/>, <see cref="WaitUntilWritten"/>, <see cref="Dispose"/>);
/// nothing after it is written.</summary>
public sealed class WriteBehindStream : IDisposable
{
    /// <summary>Buffers queued or being written at once (with the one being filled: 512 KiB at 64 KiB each).</summary>
    public const int BuffersInFlight = 8;

    private readonly Stream _stream;
    private readonly string _name;
    private readonly int _bufferBytes;
    private readonly object _gate = new();
    // A ring of queued buffers (oldest at _head) and a stack of spare ones; both bounded by BuffersInFlight.
    private readonly (byte[] Buffer, int Length)[] _queue = new (byte[], int)[BuffersInFlight];
    private readonly Stack<byte[]> _spare = new(BuffersInFlight);
    private int _head, _queued, _buffersMade;
    private bool _writing, _closing;
    private Thread? _thread;
    private Exception? _failure;

    /// <param name="stream">Written only by this object from now on, and disposed with it.</param>
    /// <param name="name">What errors call the stream (the file's path).</param>
    /// <param name="bufferBytes">The size of each buffer <see cref="RentBuffer"/> hands out.</param>
    public WriteBehindStream(Stream stream, string name, int bufferBytes)
    {
        _stream = stream;
        _name = name;
        _bufferBytes = bufferBytes;
    }

    /// <summary>A buffer of the size given at construction, to fill and hand back through <see cref="Submit"/>.</summary>
    public byte[] RentBuffer()
    {
        lock (_gate)
        {
            while (true)
            {
                ThrowIfFailed();
                if (_spare.TryPop(out var spare)) return spare;
                if (_buffersMade < BuffersInFlight)
                {
                    _buffersMade++;
                    return new byte[_bufferBytes];
                }
                Monitor.Wait(_gate); // every buffer is queued: wait for the writing thread to finish one
            }
        }
    }

    /// <summary>Queues the first <paramref name="length"/> bytes of <paramref name="buffer"/> (from
    /// <see cref="RentBuffer"/>) to be written after everything queued before; the buffer is not to be touched again.</summary>
    public void Submit(byte[] buffer, int length)
    {
        lock (_gate)
        {
            ThrowIfFailed();
            // RentBuffer hands out at most BuffersInFlight buffers, so the ring has room for every one of them.
            _queue[(_head + _queued) % BuffersInFlight] = (buffer, length);
            _queued++;
            if (_thread is null)
            {
                _thread = new Thread(WriteQueued) { IsBackground = true, Name = "pcap-write-behind" };
                _thread.Start();
            }
            else Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Writes <paramref name="bytes"/> on the caller's thread after everything queued (a record larger than a
    /// buffer, or the last, partial buffer).</summary>
    public void WriteNow(ReadOnlySpan<byte> bytes)
    {
        WaitUntilWritten();
        _stream.Write(bytes);
    }

    /// <summary>Returns once every submitted buffer is in the file, so a reader (tshark on a live recording) sees it.</summary>
    public void WaitUntilWritten()
    {
        lock (_gate)
        {
            while (_queued > 0 || _writing)
            {
                ThrowIfFailed();
                Monitor.Wait(_gate);
            }
            ThrowIfFailed();
        }
    }

    private void WriteQueued()
    {
        while (true)
        {
            byte[] buffer;
            int length;
            lock (_gate)
            {
                while (_queued == 0 && !_closing) Monitor.Wait(_gate);
                if (_queued == 0) return;
                (buffer, length) = _queue[_head];
                _queue[_head] = default;
                _head = (_head + 1) % BuffersInFlight;
                _queued--;
                _writing = true;
            }
            Exception? failure = null;
            try
            {
                _stream.Write(buffer, 0, length);
            }
            catch (Exception e) when (e is IOException or NotSupportedException or ObjectDisposedException)
            {
                failure = e;
            }
            lock (_gate)
            {
                _writing = false;
                _spare.Push(buffer);
                if (failure is not null)
                {
                    _failure ??= failure;
                    _queued = 0; // nothing after a failed write may land in the file out of order
                }
                Monitor.PulseAll(_gate);
                if (failure is not null) return;
            }
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
            throw new IOException($"writing {_name} failed: {failure.Message}", failure);
    }

    public void Dispose()
    {
        Exception? failure = null;
        lock (_gate)
        {
            _closing = true;
            Monitor.PulseAll(_gate);
        }
        _thread?.Join();
        lock (_gate) failure = _failure;
        _stream.Dispose();
        if (failure is not null) throw new IOException($"writing {_name} failed: {failure.Message}", failure);
    }
}
