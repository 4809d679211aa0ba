using System.Net;
using System.Net.Sockets;
using CancellationToken = System.Threading.CancellationToken;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;

namespace Netstack.Api;

/// <summary>A TCP connection as a <see cref="Stream"/>, like NetworkStream over a connected Socket.
/// Calls made off the event loop (thread-pool continuations) are posted onto it; read and write completions
/// resume their awaiter on the loop, posted after the current event, even one that asked for
/// ConfigureAwait(false) (as Stream.ReadExactlyAsync does), so virtual time stays whole. Failures surface as the exceptions .NET
/// code expects: SocketException from connect, IOException wrapping a SocketException from I/O.</summary>
public sealed class TcpStream : Stream, ITcpConnectionObserver
{
    private readonly TcpProtocol _tcp;
    private IScheduler Loop => _tcp.Stack.Scheduler;
    private TcpConnection _connection = null!;
    private TaskCompletionSource<TcpStream>? _connect;
    private Memory<byte> _readBuffer;
    private LoopCompletionSource<int>? _read;
    private LoopCompletionSource<bool>? _waitToRead;
    private ReadOnlyMemory<byte> _writeRemaining;
    private LoopCompletionSource<bool>? _write;
    private bool _disposed;

    internal TcpStream(TcpProtocol tcp, TcpConnection connection)
    {
        _tcp = tcp;
        _connection = connection;
        connection.Observer = this;
    }

    private TcpStream(TcpProtocol tcp) => _tcp = tcp;

    /// <summary>Active open; completes when established, or fails with SocketException (ConnectionRefused,
    /// TimedOut, HostUnreachable...).</summary>
    internal static Task<TcpStream> ConnectAsync(TcpProtocol tcp, IpAddress address, ushort port, ushort localPort,
        CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<TcpStream>(cancellationToken);
        var tcs = new TaskCompletionSource<TcpStream>();
        TcpStream? stream = null;
        tcp.Stack.Scheduler.RunOnLoop(() =>
        {
            if (tcs.Task.IsCompleted) return; // cancelled before the loop got to it
            stream = new TcpStream(tcp) { _connect = tcs };
            try
            {
                stream._connection = tcp.Connect(address, port, stream, localPort);
            }
            catch (SocketException e)
            {
                tcs.TrySetException(e);
            }
        });
        if (cancellationToken.CanBeCanceled)
        {
            CallCancellation.RegisterOnLoop(tcs.Task, cancellationToken, tcp.Stack.Scheduler, () =>
            {
                if (!tcs.TrySetCanceled(cancellationToken)) return;
                stream?._connection?.Abort();
            });
        }
        return tcs.Task.ResumeOnLoop(tcp.Stack.Scheduler);
    }

    /// <summary>The underlying TCP connection (state, sequence variables, counters), for inspection and
    /// tests.</summary>
    public TcpConnection Connection => _connection;
    /// <summary>Our address and port of this connection.</summary>
    public IPEndPoint LocalEndPoint => new(_connection.Key.LocalAddress.ToSystem(), _connection.Key.LocalPort);
    /// <summary>The peer's address and port.</summary>
    public IPEndPoint RemoteEndPoint => new(_connection.Key.RemoteAddress.ToSystem(), _connection.Key.RemotePort);

    /// <summary>TCP_NODELAY: send small segments without waiting for outstanding data to be acknowledged.</summary>
    public bool NoDelay
    {
        get => _connection.NoDelay;
        set => Loop.RunOnLoop(() => _connection.NoDelay = value);
    }

    /// <summary>True until the stream is disposed.</summary>
    public override bool CanRead => !_disposed;
    /// <summary>True until the stream is disposed.</summary>
    public override bool CanWrite => !_disposed;
    /// <summary>Always false: a TCP byte stream has no position.</summary>
    public override bool CanSeek => false;
    /// <summary>Not supported.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Length => throw new NotSupportedException();
    /// <summary>Not supported.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    // ------------------------------------------------------------------ reading

    /// <summary>Completes with 1 or more bytes read into <paramref name="buffer"/>, or 0 at the peer's FIN (or an empty
    /// buffer). Faults with an <see cref="IOException"/> wrapping a <see cref="SocketException"/> when the connection
    /// fails (reset, timed out).</summary>
    /// <exception cref="ObjectDisposedException">The stream is disposed.</exception>
    /// <exception cref="InvalidOperationException">Another read is pending (reported through the task).</exception>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Loop.IsOnLoopThread && _read is null && _waitToRead is null)
        {
            try
            {
                if (TryRead(buffer, out int n)) return ValueTask.FromResult(n);
            }
            catch (IOException e)
            {
                return ValueTask.FromException<int>(e);
            }
        }
        var tcs = new LoopCompletionSource<int>(Loop);
        var task = tcs.Task;
        Loop.RunOnLoop(() => StartRead(buffer, tcs));
        // Long-lived tokens do not collect one callback per read: the registration goes when the read completes.
        tcs.CancelWith(cancellationToken, () =>
        {
            if (_read == tcs) _read = null;
        });
        return task;
    }

    /// <summary>Like <see cref="ReadAsync(Memory{byte}, CancellationToken)"/> into <paramref name="count"/> bytes of
    /// <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void StartRead(Memory<byte> buffer, LoopCompletionSource<int> tcs)
    {
        if (_read is not null || _waitToRead is not null)
        {
            tcs.TrySetException(new InvalidOperationException("a read is already pending on this stream"));
            return;
        }
        if (TryCompleteNow(tcs, ReadAttempt, buffer)) return;
        _readBuffer = buffer;
        _read = tcs;
    }

    private delegate bool Attempt<T>(TcpStream stream, Memory<byte> buffer, out T result);

    // Static and cached: a wait is retried on every readable report, and a method group or a capturing lambda
    // would be a new delegate each time.
    private static readonly Attempt<int> ReadAttempt =
        static (TcpStream stream, Memory<byte> buffer, out int n) => stream.TryRead(buffer, out n);
    private static readonly Attempt<bool> WaitAttempt =
        static (TcpStream stream, Memory<byte> _, out bool readable) => stream.TryWaitToRead(out readable);

    /// <summary>Completes <paramref name="tcs"/> now if <paramref name="attempt"/> can: with its result, or with the
    /// connection's failure it reports; returns whether it did (false: the caller waits).</summary>
    private bool TryCompleteNow<T>(LoopCompletionSource<T> tcs, Attempt<T> attempt, Memory<byte> buffer = default)
    {
        try
        {
            if (!attempt(this, buffer, out T result)) return false;
            tcs.TrySetResult(result);
        }
        catch (IOException e)
        {
            tcs.TrySetException(e);
        }
        return true;
    }

    /// <summary>Completes a read if it can: data, end of stream (0), or the connection's failure.</summary>
    private bool TryRead(Memory<byte> buffer, out int n)
    {
        n = 0;
        if (buffer.IsEmpty) return true;
        n = _connection.Receive(buffer.Span);
        if (n > 0 || _connection.IsReceiveFinished) return true;
        if (_connection.Error != SocketError.Success) throw Failure("read data from", _connection.Error);
        if (_connection.State == TcpState.Closed) return true; // closed without a FIN: nothing more will come
        return false;
    }

    /// <summary>Completes with true once received bytes are waiting (for <see cref="ReadInPlace"/> or a read), false at
    /// the end of the stream (the peer's FIN, or closed); faults as <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>
    /// does. Takes no bytes: with <see cref="ReadInPlace"/> the data is never copied out of the receive buffer, the
    /// way System.Threading.Channels pairs WaitToReadAsync with TryRead.</summary>
    /// <exception cref="ObjectDisposedException">The stream is disposed.</exception>
    /// <exception cref="InvalidOperationException">Another read or wait is pending (reported through the task).</exception>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Loop.IsOnLoopThread && _read is null && _waitToRead is null)
        {
            try
            {
                if (TryWaitToRead(out bool readable)) return ValueTask.FromResult(readable);
            }
            catch (IOException e)
            {
                return ValueTask.FromException<bool>(e);
            }
        }
        var tcs = new LoopCompletionSource<bool>(Loop);
        var task = tcs.Task;
        Loop.RunOnLoop(() => StartWaitToRead(tcs));
        tcs.CancelWith(cancellationToken, () =>
        {
            if (_waitToRead == tcs) _waitToRead = null;
        });
        return task;
    }

    private void StartWaitToRead(LoopCompletionSource<bool> tcs)
    {
        if (_read is not null || _waitToRead is not null)
        {
            tcs.TrySetException(new InvalidOperationException("a read is already pending on this stream"));
            return;
        }
        if (TryCompleteNow(tcs, WaitAttempt)) return;
        _waitToRead = tcs;
    }

    /// <summary>Completes a wait if it can: bytes waiting (true), end of stream (false), or the connection's
    /// failure.</summary>
    private bool TryWaitToRead(out bool readable)
    {
        readable = _connection.BytesToRead > 0;
        if (readable || _connection.IsReceiveFinished) return true;
        if (_connection.Error != SocketError.Success) throw Failure("read data from", _connection.Error);
        return _connection.State == TcpState.Closed;
    }

    /// <summary>Hands up to <paramref name="maxBytes"/> of the received bytes to <paramref name="handler"/> where they
    /// lie in the connection's receive buffer (once, or twice where the buffer wraps) and takes them, as a read would
    /// but without copying them out; returns how many, 0 when none are waiting (see <see cref="WaitToReadAsync"/>).
    /// For consumers that only look at the bytes (count, hash, parse): the spans are valid only during the call, and
    /// the handler must not use this stream. A handler's exception propagates; the bytes it was given are taken.
    /// Only on the event loop thread, where awaits on this stream resume.</summary>
    /// <exception cref="InvalidOperationException">Off the loop thread, or a read is pending.</exception>
    public int ReadInPlace<TState>(System.Buffers.ReadOnlySpanAction<byte, TState> handler, TState state,
        int maxBytes = int.MaxValue)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Loop.IsOnLoopThread)
            throw new InvalidOperationException("ReadInPlace runs on the event loop thread (the buffer changes on it)");
        if (_read is not null) throw new InvalidOperationException("a read is already pending on this stream");
        return _connection.Receive(handler, state, maxBytes);
    }

    /// <summary>Blocks until data, end of stream (0) or failure. Off the loop it waits for the loop; on the loop thread
    /// it only returns what is already received.</summary>
    /// <exception cref="InvalidOperationException">On the loop thread with nothing to read yet (waiting would
    /// deadlock).</exception>
    /// <exception cref="IOException">The connection failed.</exception>
    public override int Read(Span<byte> buffer)
    {
        if (Loop.IsOnLoopThread)
        {
            var copy = new byte[buffer.Length];
            if (!TryRead(copy, out int n))
                throw new InvalidOperationException("a blocking read on the event loop thread would deadlock; use ReadAsync");
            copy.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        var array = new byte[buffer.Length];
        int read = ReadAsync(array).AsTask().GetAwaiter().GetResult();
        array.AsSpan(0, read).CopyTo(buffer);
        return read;
    }

    /// <summary>Like <see cref="Read(Span{byte})"/> into <paramref name="count"/> bytes of <paramref name="buffer"/>
    /// from <paramref name="offset"/>.</summary>
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    // ------------------------------------------------------------------ writing

    /// <summary>Completes once all of <paramref name="buffer"/> is queued in the send buffer (not when acknowledged).
    /// Faults with an <see cref="IOException"/> when the connection fails or is closed for sending. A cancelled write
    /// may have queued part of the data.</summary>
    /// <exception cref="ObjectDisposedException">The stream is disposed.</exception>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Loop.IsOnLoopThread && _write is null)
        {
            try
            {
                int n = _connection.Send(buffer.Span);
                if (n == buffer.Length) return ValueTask.CompletedTask;
                buffer = buffer[n..];
            }
            catch (Exception e) when (e is SocketException or InvalidOperationException)
            {
                return ValueTask.FromException(WriteFailure(e));
            }
        }
        var tcs = new LoopCompletionSource<bool>(Loop);
        var task = tcs.TaskWithoutResult;
        Loop.RunOnLoop(() => StartWrite(buffer, tcs));
        // What was already queued stays queued (as with NetworkStream, a cancelled write may be partial).
        tcs.CancelWith(cancellationToken, () =>
        {
            if (_write != tcs) return;
            _write = null;
            _writeRemaining = default;
        });
        return task;
    }

    /// <summary>Like <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> for <paramref name="count"/>
    /// bytes of <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void StartWrite(ReadOnlyMemory<byte> buffer, LoopCompletionSource<bool> tcs)
    {
        if (_write is not null)
        {
            tcs.TrySetException(new InvalidOperationException("a write is already pending on this stream"));
            return;
        }
        _writeRemaining = buffer;
        _write = tcs;
        ContinueWrite();
    }

    private void ContinueWrite()
    {
        if (_write is not { } tcs) return;
        try
        {
            int n = _connection.Send(_writeRemaining.Span);
            _writeRemaining = _writeRemaining[n..];
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException)
        {
            _write = null;
            tcs.TrySetException(WriteFailure(e));
            return;
        }
        if (!_writeRemaining.IsEmpty) return;
        _write = null;
        _writeRemaining = default;
        tcs.TrySetResult(true);
    }

    private static IOException WriteFailure(Exception e) => e is SocketException se
        ? new IOException($"Unable to write data to the transport connection: {se.Message}.", se)
        : new IOException($"Unable to write data to the transport connection: {e.Message}.", e);

    /// <summary>Blocks until all of <paramref name="buffer"/> is queued for sending.</summary>
    /// <exception cref="InvalidOperationException">On the loop thread when the send buffer cannot take it all (waiting
    /// would deadlock).</exception>
    /// <exception cref="IOException">The connection failed (off the loop thread).</exception>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (Loop.IsOnLoopThread)
        {
            int n = _connection.Send(buffer);
            if (n != buffer.Length)
                throw new InvalidOperationException("a blocking write on the event loop thread would deadlock; use WriteAsync");
            return;
        }
        WriteAsync(buffer.ToArray()).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Like <see cref="Write(ReadOnlySpan{byte})"/> for <paramref name="count"/> bytes of
    /// <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>Data is handed to TCP as it is written; there is nothing to flush.</summary>
    public override void Flush() { }

    /// <summary>Completes at once: there is nothing to flush (see <see cref="Flush"/>).</summary>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // ------------------------------------------------------------------ closing

    /// <summary>Half-close: send a FIN after queued data; reading continues until the peer's FIN.</summary>
    public void ShutdownSend() => Loop.RunOnLoop(() => _connection.Close());

    /// <summary>Resets the connection (RST) and discards everything queued.</summary>
    public void Abort() => Loop.RunOnLoop(() => _connection.Abort());

    /// <summary>Closes the connection: a FIN after queued data, or a reset (RST) when received data was left unread
    /// (RFC 2525 §2.17).</summary>
    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        Loop.RunOnLoop(() =>
        {
            // Unread data at close means the peer's data was lost: say so with a reset (RFC 2525 §2.17).
            if (_connection.BytesToRead > 0) _connection.Abort();
            else
            {
                _connection.ShutdownReceive();
                _connection.Close();
            }
        });
        base.Dispose(disposing);
    }

    /// <summary>Not supported.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    /// <summary>Not supported.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void SetLength(long value) => throw new NotSupportedException();

    // ------------------------------------------------------------------ connection events

    void ITcpConnectionObserver.OnEstablished(TcpConnection connection)
    {
        var tcs = _connect;
        _connect = null;
        tcs?.TrySetResult(this);
    }

    void ITcpConnectionObserver.OnReadable(TcpConnection connection)
    {
        if (_waitToRead is { } wait)
        {
            _waitToRead = null;
            if (!TryCompleteNow(wait, WaitAttempt)) _waitToRead = wait;
            return;
        }
        if (_read is not { } tcs) return;
        if (TryRead(_readBuffer, out int n))
        {
            _read = null;
            _readBuffer = default;
            tcs.TrySetResult(n);
        }
    }

    void ITcpConnectionObserver.OnWritable(TcpConnection connection) => ContinueWrite();

    void ITcpConnectionObserver.OnClosed(TcpConnection connection, SocketError error)
    {
        if (_connect is { } connect)
        {
            _connect = null;
            var e = error == SocketError.Success ? SocketError.ConnectionReset : error;
            connect.TrySetException(new SocketException((int)e, ConnectMessage(e)));
        }
        if (_read is { } read)
        {
            _read = null;
            if (error == SocketError.Success) read.TrySetResult(_connection.Receive(_readBuffer.Span));
            else read.TrySetException(Failure("read data from", error));
            _readBuffer = default;
        }
        if (_waitToRead is { } wait)
        {
            _waitToRead = null;
            if (error == SocketError.Success) wait.TrySetResult(_connection.BytesToRead > 0);
            else wait.TrySetException(Failure("read data from", error));
        }
        if (_write is { } write && error != SocketError.Success)
        {
            _write = null;
            write.TrySetException(Failure("write data to", error));
        }
    }

    private string ConnectMessage(SocketError e) => e switch
    {
        SocketError.ConnectionRefused => $"Connection refused by {RemoteText}",
        SocketError.TimedOut => $"Connection to {RemoteText} timed out",
        SocketError.HostUnreachable => $"No route to host {RemoteText}",
        SocketError.NetworkUnreachable => $"Network unreachable for {RemoteText}",
        SocketError.OperationAborted => $"Connection to {RemoteText} was aborted locally",
        _ => $"Connection to {RemoteText} failed: {e}",
    };

    private string RemoteText => $"{_connection.Key.RemoteAddress}:{_connection.Key.RemotePort}";

    private IOException Failure(string what, SocketError error)
    {
        string reason = error switch
        {
            SocketError.ConnectionReset => "Connection reset by peer",
            SocketError.TimedOut => "Connection timed out",
            SocketError.OperationAborted => "The connection was aborted locally",
            _ => error.ToString(),
        };
        return new IOException($"Unable to {what} the transport connection: {reason} ({RemoteText}).",
            new SocketException((int)error, reason));
    }
}
