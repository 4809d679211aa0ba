using System.Net.Sockets;
using Netstack.Api;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using Netstack.Time;

namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>What a system call returned: a value, or -1 and an errno. <see cref="Fields"/> are values written back
/// through pointer arguments (SO_ERROR, TCP_INFO fields, poll's revents), compared with what the script wrote.</summary>
public sealed record SyscallOutcome(long Result, string? Errno, IReadOnlyDictionary<string, long>? Fields = null)
{
    /// <summary>Set when the value written back is not compared (why), so the run counts a skipped assertion.</summary>
    public string? NotCompared { get; init; }

    public static SyscallOutcome Ok(long result = 0) => new(result, null);
    public static SyscallOutcome Fail(string errno) => new(-1, errno);
    public override string ToString() => Errno is null ? Result.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"-1 {Errno}";
}

/// <summary>A script's file descriptors over our stack's API: a socket() is an entry that becomes a listener, an
/// accepted or connecting stream, or a UDP socket. Calls run with packetdrill's (Linux's) semantics; one that would
/// block returns a poll function the runner calls after every event on the loop until it yields an outcome.</summary>
public sealed class SocketTable(NetworkStack stack, IpAddress remote, ushort bindPort, ushort connectPort) : ISocketModel
{
    private sealed class Entry(int fd, bool stream)
    {
        public int Fd { get; } = fd;
        public bool IsStream { get; } = stream;
        public bool NonBlocking { get; set; }
        public ushort? Port { get; set; }
        public TcpListenSocket? Listener { get; set; }
        public TcpConnection? Connection { get; set; }
        public Task<TcpStream>? Connecting { get; set; }
        public TcpStream? Stream { get; set; }
        public UdpSocket? Udp { get; set; }
        public bool LingerAbort { get; set; }
        public bool NoDelay { get; set; }
        /// <summary>SO_ERROR is read once, as on Linux.</summary>
        public bool ErrorReported { get; set; }
    }

    private readonly SortedDictionary<int, Entry> _fds = new();

    /// <summary>A call that blocks: polled until it returns an outcome.</summary>
    public delegate SyscallOutcome? Pending();

    /// <summary>Runs <paramref name="call"/>; returns its outcome now, or a <paramref name="pending"/> poll.</summary>
    public SyscallOutcome? Execute(SyscallLine call, out Pending? pending)
    {
        pending = null;
        if (call.Name == "socket") return Socket(call);
        if (call.Name == "poll") return Poll(call, out pending);
        var fd = call.FdArgument;
        if (fd is null) throw new SyscallModelException($"{call.Name}() needs a literal fd as its first argument");
        if (!_fds.TryGetValue(fd.Value, out var e)) return SyscallOutcome.Fail("EBADF");
        Refresh(e);
        switch (call.Name)
        {
            case "bind":
                e.Port = bindPort;
                if (!e.IsStream) e.Udp = stack.OpenUdp(bindPort);
                return SyscallOutcome.Ok();
            case "listen":
                try
                {
                    e.Listener = stack.ListenTcp(e.Port ?? bindPort, (int)Math.Max(1, Number(call.Argument(1), 1)));
                }
                catch (SocketException)
                {
                    return SyscallOutcome.Fail("EADDRINUSE");
                }
                return SyscallOutcome.Ok();
            case "accept": return Accept(e, call, out pending);
            case "connect": return Connect(e, out pending);
            case "read" or "recv" or "recvfrom": return Read(e, call, out pending);
            case "write" or "send" or "sendto": return Write(e, call, out pending);
            case "close": return Close(e);
            case "shutdown": return Shutdown(e, call);
            case "setsockopt": return SetOption(e, call);
            case "getsockopt": return GetOption(e, call);
            case "fcntl": return Fcntl(e, call);
            default: throw new SyscallModelException($"system call {call.Name}() is not modelled");
        }
    }

    private SyscallOutcome Socket(SyscallLine call)
    {
        int fd = ScriptFd(call, _fds.ContainsKey);
        bool stream = call.Argument(1) is not WordExpr { Name: "SOCK_DGRAM" };
        _fds[fd] = new Entry(fd, stream);
        return SyscallOutcome.Ok(fd);
    }

    /// <summary>The fd a new socket gets: the one the script expects (packetdrill maps the script's fd to the live
    /// one, so <c>socket(...) = 4</c> is a name, not a claim: any fd passes, and a 4 still open is shadowed by the
    /// new one, whose calls then go to it), else the lowest free from 3.</summary>
    internal static int ScriptFd(SyscallLine call, Func<int, bool> taken)
    {
        if (call.Result is IntegerExpr { Value: >= 3 and < 1024 } wanted) return (int)wanted.Value;
        int fd = 3;
        while (taken(fd)) fd++;
        return fd;
    }

    /// <summary>A non-blocking connect that completed hands over its stream.</summary>
    private static void Refresh(Entry e)
    {
        if (e.Stream is null && e.Connecting is { IsCompletedSuccessfully: true } done) e.Stream = done.Result;
    }

    private SyscallOutcome? Accept(Entry e, SyscallLine call, out Pending? pending)
    {
        pending = null;
        if (e.Listener is not { } listener) return SyscallOutcome.Fail("EINVAL");
        SyscallOutcome? Try()
        {
            if (listener.PendingAccepts == 0) return null;
            var task = listener.AcceptAsync();
            if (!task.IsCompletedSuccessfully) return null;
            int fd = ScriptFd(call, _fds.ContainsKey);
            var stream = task.Result;
            stream.Connection.NoDelay |= e.NoDelay;
            _fds[fd] = new Entry(fd, true) { Stream = stream, Connection = stream.Connection, Port = e.Port };
            return SyscallOutcome.Ok(fd);
        }
        if (Try() is { } now) return now;
        if (e.NonBlocking) return SyscallOutcome.Fail("EAGAIN");
        pending = () => Try();
        return null;
    }

    private SyscallOutcome? Connect(Entry e, out Pending? pending)
    {
        pending = null;
        if (!e.IsStream)
        {
            (e.Udp ??= stack.OpenUdp(e.Port ?? 0)).Connect(remote, connectPort);
            return SyscallOutcome.Ok();
        }
        if (e.Connection is { } existing)
            return existing.State switch
            {
                TcpState.SynSent => SyscallOutcome.Fail("EALREADY"),
                _ when existing.Error != SocketError.Success => TakeError(e),
                _ => SyscallOutcome.Fail("EISCONN"),
            };
        var before = stack.Tcp.Connections.ToHashSet();
        e.Connecting = stack.ConnectTcpAsync(new System.Net.IPEndPoint(remote.ToSystem(), connectPort), e.Port ?? 0);
        e.Connection = stack.Tcp.Connections.FirstOrDefault(c => !before.Contains(c));
        if (e.Connection is { } c) c.NoDelay |= e.NoDelay;
        SyscallOutcome? Try()
        {
            if (!e.Connecting.IsCompleted) return null;
            if (e.Connecting.IsCompletedSuccessfully)
            {
                e.Stream = e.Connecting.Result;
                return SyscallOutcome.Ok();
            }
            e.ErrorReported = true;
            return SyscallOutcome.Fail(PosixSymbols.Errno(ErrorOf(e.Connecting.Exception)) ?? "EIO");
        }
        if (e.Connecting.IsFaulted) return Try();
        if (e.NonBlocking) return SyscallOutcome.Fail("EINPROGRESS");
        pending = () => Try();
        return null;
    }

    private static SocketError ErrorOf(Exception? e) => e?.InnerException is SocketException s ? s.SocketErrorCode : SocketError.SocketError;

    private SyscallOutcome TakeError(Entry e)
    {
        e.ErrorReported = true;
        return SyscallOutcome.Fail(PosixSymbols.Errno(e.Connection!.Error) ?? "EIO");
    }

    private SyscallOutcome? Read(Entry e, SyscallLine call, out Pending? pending)
    {
        pending = null;
        int length = (int)Number(call.Argument(2), 0);
        long flags = call.Name is "recv" or "recvfrom" ? Number(call.Argument(3), 0) : 0;
        bool peek = (flags & PosixSymbols.Value("MSG_PEEK")) != 0;
        bool nonBlocking = e.NonBlocking || (flags & PosixSymbols.Value("MSG_DONTWAIT")) != 0;
        SyscallOutcome? Try()
        {
            if (!e.IsStream)
            {
                if (e.Udp is not { } udp) return SyscallOutcome.Fail("EAGAIN");
                return udp.TryReceiveFrom(out var datagram) ? SyscallOutcome.Ok(Math.Min(length, datagram.Data.Length)) : null;
            }
            if (e.Connection is not { } c) return SyscallOutcome.Fail("ENOTCONN");
            if (c.State is TcpState.SynSent or TcpState.SynReceived && c.Error == SocketError.Success) return null;
            int n = peek ? c.Peek(new byte[length]) : c.Receive(new byte[length]);
            if (n > 0 || length == 0) return SyscallOutcome.Ok(n);
            if (c.IsReceiveFinished) return SyscallOutcome.Ok(0);
            if (c.Error is not (SocketError.Success or SocketError.OperationAborted))
                return e.ErrorReported ? SyscallOutcome.Ok(0) : TakeError(e);
            if (c.State == TcpState.Closed) return SyscallOutcome.Ok(0);
            return null;
        }
        if (Try() is { } now) return now;
        if (nonBlocking) return SyscallOutcome.Fail("EAGAIN");
        pending = () => Try();
        return null;
    }

    private SyscallOutcome? Write(Entry e, SyscallLine call, out Pending? pending)
    {
        pending = null;
        int length = (int)Number(call.Argument(2), 0);
        long flags = call.Name is "send" or "sendto" ? Number(call.Argument(3), 0) : 0;
        bool nonBlocking = e.NonBlocking || (flags & PosixSymbols.Value("MSG_DONTWAIT")) != 0;
        if (!e.IsStream)
        {
            (e.Udp ??= stack.OpenUdp(e.Port ?? 0)).SendTo(new byte[length], remote, connectPort);
            return SyscallOutcome.Ok(length);
        }
        int sent = 0;
        SyscallOutcome? Try()
        {
            if (e.Connection is not { } c) return SyscallOutcome.Fail("ENOTCONN");
            if (c.Error is not (SocketError.Success or SocketError.OperationAborted) && !e.ErrorReported) return TakeError(e);
            if (c.Error != SocketError.Success || c.IsSendShutdown || c.State is TcpState.Closed or TcpState.TimeWait)
                return sent > 0 ? SyscallOutcome.Ok(sent) : SyscallOutcome.Fail("EPIPE");
            if (c.State is TcpState.SynSent or TcpState.SynReceived) return null;
            sent += c.Send(new byte[length - sent]);
            if (sent == length) return SyscallOutcome.Ok(sent);
            if (nonBlocking) return sent > 0 ? SyscallOutcome.Ok(sent) : SyscallOutcome.Fail("EAGAIN");
            return null;
        }
        if (Try() is { } now) return now;
        if (nonBlocking) return SyscallOutcome.Fail("EAGAIN");
        pending = () => Try();
        return null;
    }

    private SyscallOutcome Close(Entry e)
    {
        _fds.Remove(e.Fd);
        e.Listener?.Dispose();
        e.Udp?.Dispose();
        if (e.Connection is { } c)
        {
            if (e.LingerAbort) c.Abort();
            else if (e.Stream is { } stream) stream.Dispose(); // resets when unread data is left (RFC 2525 §2.17)
            else if (c.BytesToRead > 0) c.Abort();
            else
            {
                c.Close();
                c.ShutdownReceive();
            }
        }
        return SyscallOutcome.Ok();
    }

    private static SyscallOutcome Shutdown(Entry e, SyscallLine call)
    {
        if (e.Connection is not { } c || c.State is TcpState.SynSent or TcpState.Closed) return SyscallOutcome.Fail("ENOTCONN");
        long how = Number(call.Argument(1), 2);
        if (how is 0 or 2) c.ShutdownReceive();
        if (how is 1 or 2) c.Close();
        return SyscallOutcome.Ok();
    }

    private static SyscallOutcome SetOption(Entry e, SyscallLine call)
    {
        string option = (call.Argument(2) as WordExpr)?.Name ?? "";
        switch (option)
        {
            case "SO_REUSEADDR": return SyscallOutcome.Ok(); // our stack does not hold a port after close
            case "SO_LINGER":
                var linger = call.Argument(3) is ArrayExpr { Items: [StructExpr s] } ? s : call.Argument(3) as StructExpr;
                if (linger is null) throw new SyscallModelException("SO_LINGER needs {onoff=N, linger=N}");
                long on = Number(linger.Field("onoff") ?? linger.Items.ElementAtOrDefault(0), 0);
                long seconds = Number(linger.Field("linger") ?? linger.Items.ElementAtOrDefault(1), 0);
                if (on != 0 && seconds != 0) throw new SyscallModelException("SO_LINGER with a timeout: our stack's close does not wait");
                e.LingerAbort = on != 0;
                return SyscallOutcome.Ok();
            case "TCP_NODELAY":
                e.NoDelay = Number(Deref(call.Argument(3)), 0) != 0;
                if (e.Connection is { } c) c.NoDelay = e.NoDelay;
                return SyscallOutcome.Ok();
            default:
                throw new SyscallModelException($"setsockopt {option}: our stack's API cannot set it per socket");
        }
    }

    private SyscallOutcome GetOption(Entry e, SyscallLine call)
    {
        string option = (call.Argument(2) as WordExpr)?.Name ?? "";
        switch (option)
        {
            case "SO_ERROR":
                long value = 0;
                if (e.Connection is { Error: not (SocketError.Success or SocketError.OperationAborted) } c && !e.ErrorReported)
                {
                    e.ErrorReported = true;
                    value = PosixSymbols.Value(PosixSymbols.Errno(c.Error) ?? "EIO");
                }
                return new SyscallOutcome(0, null, new Dictionary<string, long> { ["value"] = value });
            case "SO_RCVBUF" or "SO_SNDBUF":
                // Our buffers are a stack-wide setting, not a kernel's per-socket autotuned value: say so, don't compare.
                int size = option == "SO_RCVBUF" ? stack.Options.Tcp.ReceiveBufferSize : stack.Options.Tcp.SendBufferSize;
                return new SyscallOutcome(0, null) { NotCompared = $"getsockopt {option}: our stack's buffer is {size} bytes for every socket; the value is not compared" };
            case "TCP_INFO":
                var fields = new Dictionary<string, long>();
                if (e.Listener is not null) fields["tcpi_state"] = PosixSymbols.Value("TCP_LISTEN");
                else if (e.Connection is { } conn)
                {
                    fields["tcpi_state"] = PosixSymbols.Value(PosixSymbols.TcpInfoState(conn.State));
                    fields["tcpi_snd_mss"] = conn.EffectiveMss;
                    fields["tcpi_rcv_mss"] = conn.EffectiveMss;
                    // Linux counts its window in segments, and an unset ssthresh as TCP_INFINITE_SSTHRESH.
                    int mss = Math.Max(1, conn.EffectiveMss);
                    fields["tcpi_snd_cwnd"] = conn.CongestionWindow / mss;
                    fields["tcpi_snd_ssthresh"] = conn.SlowStartThreshold >= int.MaxValue / 2 ? 0x7fffffff : conn.SlowStartThreshold / mss;
                    fields["tcpi_rto"] = conn.RetransmissionTimeout.Nanoseconds / Duration.NanosecondsPerMicrosecond;
                    fields["tcpi_rtt"] = conn.SmoothedRtt.Nanoseconds / Duration.NanosecondsPerMicrosecond;
                    fields["tcpi_options"] = (conn.TimestampsEnabled ? 1 : 0) | (conn.SackEnabled ? 2 : 0) | (conn.WindowScalingEnabled ? 4 : 0);
                    fields["tcpi_snd_wscale"] = conn.WindowScalingEnabled ? conn.SendShift : 0;
                    fields["tcpi_rcv_wscale"] = conn.ReceiveShift;
                    fields["tcpi_unacked"] = (long)((uint)(conn.SendNext - conn.SendUnacknowledged) + (uint)mss - 1) / mss;
                }
                else fields["tcpi_state"] = PosixSymbols.Value("TCP_CLOSE");
                return new SyscallOutcome(0, null, fields);
            default:
                throw new SyscallModelException($"getsockopt {option} is not modelled");
        }
    }

    private static SyscallOutcome Fcntl(Entry e, SyscallLine call)
    {
        string command = (call.Argument(1) as WordExpr)?.Name ?? "";
        if (command == "F_GETFL") return SyscallOutcome.Ok(PosixSymbols.Value("O_RDWR") | (e.NonBlocking ? PosixSymbols.Value("O_NONBLOCK") : 0));
        if (command == "F_SETFL")
        {
            e.NonBlocking = (Number(call.Argument(2), 0) & PosixSymbols.Value("O_NONBLOCK")) != 0;
            return SyscallOutcome.Ok();
        }
        throw new SyscallModelException($"fcntl {command} is not modelled");
    }

    private SyscallOutcome? Poll(SyscallLine call, out Pending? pending)
    {
        pending = null;
        var items = (call.Argument(0) as ArrayExpr)?.Items.OfType<StructExpr>().ToList()
                    ?? throw new SyscallModelException("poll() needs [{fd=N, events=...}] as its first argument");
        long timeoutMs = Number(call.Argument(2), 0);
        var deadline = timeoutMs < 0 ? Instant.MaxValue : stack.Scheduler.Now + Duration.FromMilliseconds(timeoutMs);
        SyscallOutcome? Try()
        {
            int ready = 0;
            var fields = new Dictionary<string, long>();
            for (int i = 0; i < items.Count; i++)
            {
                int fd = (int)Number(items[i].Field("fd"), -1);
                long events = Number(items[i].Field("events"), 0);
                long revents = _fds.TryGetValue(fd, out var e) ? Revents(e, events) : PosixSymbols.Value("POLLNVAL");
                fields[$"revents{i}"] = revents;
                if (revents != 0) ready++;
            }
            if (ready > 0 || stack.Scheduler.Now >= deadline) return new SyscallOutcome(ready, null, fields);
            return null;
        }
        if (Try() is { } now) return now;
        pending = () => Try();
        return null;
    }

    private static long Revents(Entry e, long events)
    {
        Refresh(e);
        long pollIn = PosixSymbols.Value("POLLIN"), pollOut = PosixSymbols.Value("POLLOUT");
        long r = 0;
        if (e.Listener is { } l) return l.PendingAccepts > 0 ? events & pollIn : 0;
        if (e.Udp is { } u) return (u.QueuedDatagrams > 0 ? events & pollIn : 0) | (events & pollOut);
        if (e.Connection is not { } c) return events & pollOut | PosixSymbols.Value("POLLHUP");
        bool failed = c.Error is not (SocketError.Success or SocketError.OperationAborted);
        if (c.BytesToRead > 0 || c.IsReceiveFinished || failed) r |= events & pollIn;
        if (c.State is TcpState.Established or TcpState.CloseWait && c.SendBufferFree > 0) r |= events & pollOut;
        if (failed) r |= PosixSymbols.Value("POLLERR") | PosixSymbols.Value("POLLHUP") | (events & pollOut);
        else if (c.State == TcpState.Closed || (c.IsReceiveFinished && c.IsSendShutdown)) r |= PosixSymbols.Value("POLLHUP");
        if (c.IsReceiveFinished) r |= events & PosixSymbols.Value("POLLRDHUP");
        return r;
    }

    private static Expr? Deref(Expr? e) => e is ArrayExpr { Items: [var inner] } ? inner : e;

    /// <summary>The integer a script's argument stands for: a number, a symbol, <c>A|B</c>, <c>[N]</c>; <paramref name="fallback"/> for <c>...</c>.</summary>
    public static long Number(Expr? e, long fallback) => e switch
    {
        IntegerExpr i => i.Value,
        WordExpr w when PosixSymbols.TryValue(w.Name, out var v) => v,
        WordExpr w => throw new SyscallModelException($"unknown symbol {w.Name}"),
        BitOrExpr or => or.Terms.Aggregate(0L, (acc, t) => acc | Number(t, 0)),
        ArrayExpr { Items: [var inner] } => Number(inner, fallback),
        _ => fallback,
    };

    /// <summary>Connections still open when the script ends, for the final report.</summary>
    public IEnumerable<string> Describe() => _fds.Values.Select(e =>
        $"fd {e.Fd}: {(e.Listener is not null ? "listening" : e.Connection is { } c ? c.State.ToString() : "socket")}");
}

/// <summary>A call the socket model cannot carry out as written: the script fails at that line with the reason.</summary>
public sealed class SyscallModelException(string message) : Exception(message);
