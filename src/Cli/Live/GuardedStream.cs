using Netstack.Time;

namespace Netstack.Cli.Live;

/// <summary>A served connection under <see cref="ConnectionLimits"/>: a stream decorator that notes when each
/// read or write completes, and one timer on the event loop's scheduler that ends the connection (through
/// <c>expire</c>, normally a reset) once it has been idle too long or an awaited request head is late.</summary>
public sealed class GuardedStream : Stream
{
    private readonly Stream _inner;
    private readonly IScheduler _scheduler;
    private readonly ConnectionLimits _limits;
    private readonly Action _expire;
    private readonly ScheduledTimer _timer;
    private Instant? _headDeadline;

    public GuardedStream(Stream inner, IScheduler scheduler, ConnectionLimits limits, Action expire)
    {
        _inner = inner;
        _scheduler = scheduler;
        _limits = limits;
        _expire = expire;
        _timer = new ScheduledTimer(scheduler, OnTimer);
        LastActivity = scheduler.Now;
        _timer.Arm(Deadline);
    }

    public Instant LastActivity { get; private set; }

    /// <summary>Why the connection was ended, or null while it is within its limits.</summary>
    public string? ExpiredBecause { get; private set; }

    /// <summary>The server now waits for a request head: it must be complete within the header timeout.</summary>
    public void AwaitingHead()
    {
        _headDeadline = _scheduler.Now + _limits.HeaderTimeout;
        if (_timer.IsArmed && _headDeadline.Value < _timer.Due) _timer.Arm(_headDeadline.Value);
    }

    public void HeadReceived() => _headDeadline = null;

    /// <summary>Ends the connection now (the connection cap chose it), unless it has already ended.</summary>
    public void Expire(string reason)
    {
        if (ExpiredBecause is not null) return;
        ExpiredBecause = reason;
        _timer.Cancel();
        _expire();
    }

    private Instant Deadline
    {
        get
        {
            var idle = LastActivity + _limits.IdleTimeout;
            return _headDeadline is { } head && head < idle ? head : idle;
        }
    }

    // Activity only moves the deadline later, so it just records the time; the timer re-arms when it fires early.
    private void OnTimer()
    {
        if (ExpiredBecause is not null) return;
        var now = _scheduler.Now;
        if (_headDeadline is { } head && now >= head)
            Expire($"no complete request head within {_limits.HeaderTimeout.TotalSeconds:0.###} s");
        else if (now >= LastActivity + _limits.IdleTimeout)
            Expire($"idle for {_limits.IdleTimeout.TotalSeconds:0.###} s");
        else _timer.Arm(Deadline);
    }

    /// <summary>Notes a completed read or write made past this decorator (a service reading the TCP stream in
    /// place).</summary>
    public void NoteActivity() => LastActivity = _scheduler.Now;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await _inner.ReadAsync(buffer, cancellationToken);
        NoteActivity();
        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _inner.WriteAsync(buffer, cancellationToken);
        NoteActivity();
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Synchronous I/O would block the event loop; the services only use the asynchronous calls.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override bool CanRead => _inner.CanRead;
    public override bool CanWrite => _inner.CanWrite;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _timer.Cancel();
        base.Dispose(disposing);
    }
}
