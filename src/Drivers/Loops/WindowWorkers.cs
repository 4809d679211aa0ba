namespace Netstack.Drivers.Loops;

/// <summary>The threads of a <see cref="ParallelVirtualLoop"/>: the caller is worker 0, the others wait for a window.
/// A window is a few microseconds of virtual time, often less wall time than a sleeping thread takes to wake, so a
/// waiting worker spins first (yielding, never sleeping a millisecond) and blocks only when no window has come for a
/// while (between runs, or while the caller does other work). No lock is taken per window.</summary>
internal sealed class WindowWorkers : IDisposable
{
    private const int SpinsBeforeBlocking = 2000;

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wake;
    private readonly int[] _sleeping;
    private Action<int> _work = static _ => { };
    private long _generation;
    private int _pending;
    private volatile bool _stopping;
    private Exception? _failure;

    public WindowWorkers(int count)
    {
        Count = count;
        _threads = new Thread[count - 1];
        _wake = new SemaphoreSlim[count - 1];
        _sleeping = new int[count - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int worker = i + 1;
            _wake[i] = new SemaphoreSlim(0);
            _threads[i] = new Thread(() => Serve(worker)) { IsBackground = true, Name = $"virtual-loop-{worker}" };
            _threads[i].Start();
        }
    }

    public int Count { get; }

    /// <summary>Runs <paramref name="work"/>(w) for every worker w, worker 0 on the calling thread, and returns when
    /// all are done; rethrows the first failure.</summary>
    public void Run(Action<int> work)
    {
        if (_threads.Length > 0)
        {
            _work = work;
            Volatile.Write(ref _pending, _threads.Length);
            Interlocked.Increment(ref _generation); // publishes _work
            for (int i = 0; i < _threads.Length; i++)
                if (Interlocked.Exchange(ref _sleeping[i], 0) == 1) _wake[i].Release();
        }
        Exception? mine = null;
        try
        {
            work(0);
        }
        catch (Exception e)
        {
            mine = e;
        }
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) > 0) spin.SpinOnce(sleep1Threshold: -1);
        if (mine is not null) throw mine;
        if (Interlocked.Exchange(ref _failure, null) is { } failure)
            throw new InvalidOperationException("a partition of the parallel loop failed", failure);
    }

    private void Serve(int worker)
    {
        long seen = 0;
        int slot = worker - 1;
        while (true)
        {
            var spin = new SpinWait();
            int spins = 0;
            while (Volatile.Read(ref _generation) == seen && !_stopping)
            {
                if (++spins < SpinsBeforeBlocking)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                    continue;
                }
                Interlocked.Exchange(ref _sleeping[slot], 1); // a full fence: the starter must see it or we see the window
                if (Volatile.Read(ref _generation) != seen || _stopping)
                {
                    // A window came meanwhile: if its starter saw us asleep it released us; take that release.
                    if (Interlocked.Exchange(ref _sleeping[slot], 0) == 0) _wake[slot].Wait();
                    break;
                }
                _wake[slot].Wait();
                spins = 0;
            }
            if (_stopping) return;
            seen = Volatile.Read(ref _generation);
            try
            {
                _work(worker);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            Interlocked.Decrement(ref _pending);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        for (int i = 0; i < _threads.Length; i++)
            if (Interlocked.Exchange(ref _sleeping[i], 0) == 1) _wake[i].Release();
        foreach (var t in _threads) t.Join();
        foreach (var w in _wake) w.Dispose();
    }
}
