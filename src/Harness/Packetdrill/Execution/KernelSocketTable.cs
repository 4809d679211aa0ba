using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Netstack.Harness.Linux;
using Netstack.Wire;

namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>A script's file descriptors as real sockets of the Linux kernel in the run's namespace (<c>--wire tap</c>).
/// Every socket is non-blocking underneath; a call the script makes blocking is retried after every event on the
/// loop until it completes, so the script goes on meanwhile as with packetdrill's syscall thread. Return values and
/// errnos are the kernel's, mapped back from .NET's SocketError. A send the script writes blocking with an end time
/// (<c>+0...0.020 sendto(...)</c>) is the real blocking call instead, on packetdrill's kind of syscall thread
/// (<see cref="BlockingCallThread"/>): the kernel's answer to the handshake depends on a task waiting in it.</summary>
public sealed unsafe partial class KernelSocketTable(LinuxPeer peer, IpAddress remote, ushort bindPort, ushort connectPort) : ISocketModel, IDisposable
{
    /// <summary>Sockets are AF_INET6 (<c>--ip_version=ipv6</c> or <c>ipv4-mapped-ipv6</c>: dual-mode, so an IPv4
    /// remote is reached by its mapped address); else AF_INET.</summary>
    public bool Ipv6Sockets { get; init; }

    private Socket Open(SocketType type, ProtocolType protocol) => Ipv6Sockets
        ? peer.Own(peer.Namespace.RunInside(() => new Socket(AddressFamily.InterNetworkV6, type, protocol) { DualMode = true }))
        : peer.OpenSocket(type, protocol);

    /// <summary>The wildcard address of <paramref name="socket"/>'s family.</summary>
    private static IPAddress Any(Socket socket) => socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;

    private IPEndPoint Remote(Socket socket) => new(LinuxPeer.ForSocket(socket, remote), connectPort);

    private sealed class Entry(Socket socket)
    {
        public Socket Socket { get; } = socket;
        public bool NonBlocking { get; set; }
        public bool Connecting { get; set; }
    }

    private readonly SortedDictionary<int, Entry> _fds = new();

    /// <summary>Made at the first call that needs it.</summary>
    private BlockingCallThread? _blockingCalls;

    public void Dispose() => _blockingCalls?.Dispose();

    /// <summary>packetdrill's "socket under test": the one last created or accepted, whose TCP_INFO a Python
    /// <c>%{ }%</c> block sees.</summary>
    private Socket? _underTest;

    public SyscallOutcome? Execute(SyscallLine call, out SocketTable.Pending? pending)
    {
        pending = null;
        if (call.Name == "socket")
        {
            bool stream = call.Argument(1) is not WordExpr { Name: "SOCK_DGRAM" };
            var s = Open(stream ? SocketType.Stream : SocketType.Dgram, stream ? ProtocolType.Tcp : ProtocolType.Udp);
            s.Blocking = false;
            int fd = SocketTable.ScriptFd(call, _fds.ContainsKey);
            _fds[fd] = new Entry(s);
            _underTest = s;
            return SyscallOutcome.Ok(fd);
        }
        if (call.Name == "poll") return Poll(call, out pending);
        var fdArgument = call.FdArgument ?? throw new SyscallModelException($"{call.Name}() needs a literal fd as its first argument");
        if (!_fds.TryGetValue(fdArgument, out var e)) return SyscallOutcome.Fail("EBADF");
        var socket = e.Socket;
        try
        {
            switch (call.Name)
            {
                case "bind":
                    socket.Bind(new IPEndPoint(Any(socket), bindPort));
                    return SyscallOutcome.Ok();
                case "listen":
                    socket.Listen((int)SocketTable.Number(call.Argument(1), 1));
                    return SyscallOutcome.Ok();
                case "accept":
                    return Blocking(e, () =>
                    {
                        var accepted = peer.Own(socket.Accept());
                        accepted.Blocking = false;
                        int fd = SocketTable.ScriptFd(call, _fds.ContainsKey);
                        _fds[fd] = new Entry(accepted);
                        _underTest = accepted;
                        return SyscallOutcome.Ok(fd);
                    }, false, out pending);
                case "connect":
                    return Connect(e, out pending);
                case "read" or "recv" or "recvfrom" or "write" or "send" or "sendto" when call.Argument(1) is WordExpr { Name: "NULL" }:
                    return NullBuffer(socket, call);
                case "read" or "recv" or "recvfrom":
                {
                    var buffer = new byte[(int)SocketTable.Number(call.Argument(2), 0)];
                    var flags = Flags(call.Name == "read" ? null : call.Argument(3));
                    return Blocking(e, () => SyscallOutcome.Ok(socket.Receive(buffer, flags & ~SocketFlags.Partial)),
                        (flags & SocketFlags.Partial) != 0, out pending);
                }
                case "write" or "send" or "sendto":
                {
                    int length = (int)SocketTable.Number(call.Argument(2), 0);
                    int flags = call.Name == "write" ? 0 : (int)SocketTable.Number(call.Argument(3), 0);
                    bool dontWait = (flags & MsgDontWait) != 0;
                    if (socket.SocketType == SocketType.Dgram)
                        return Blocking(e, () => SyscallOutcome.Ok(socket.SendTo(new byte[length], Remote(socket))),
                            dontWait, out pending);
                    if (call.EndMicros is not null && !e.NonBlocking && !dontWait) return BlockingSend(e, length, flags, out pending);
                    if ((flags & MsgFastOpen) != 0) return FastOpenSend(e, length, flags, out pending);
                    int sent = 0;
                    // send(2) itself with the script's flags (MSG_EOR, MSG_MORE, MSG_ZEROCOPY reach the kernel as written);
                    // the socket is non-blocking underneath, so a blocking call is retried until all is sent.
                    return Blocking(e, () =>
                    {
                        sent += Send(socket, length - sent, flags | MsgDontWait);
                        if (sent < length && !e.NonBlocking && !dontWait) throw new SocketException((int)SocketError.WouldBlock);
                        return SyscallOutcome.Ok(sent);
                    }, dontWait, out pending);
                }
                case "close":
                    _fds.Remove(fdArgument);
                    socket.Dispose();
                    return SyscallOutcome.Ok();
                case "shutdown":
                    long how = SocketTable.Number(call.Argument(1), 2);
                    socket.Shutdown(how == 0 ? SocketShutdown.Receive : how == 1 ? SocketShutdown.Send : SocketShutdown.Both);
                    return SyscallOutcome.Ok();
                case "setsockopt": return SetOption(socket, call);
                case "getsockopt": return GetOption(socket, call);
                case "fcntl":
                    string command = (call.Argument(1) as WordExpr)?.Name ?? "";
                    if (command == "F_GETFL")
                        return SyscallOutcome.Ok(PosixSymbols.Value("O_RDWR") | (e.NonBlocking ? PosixSymbols.Value("O_NONBLOCK") : 0));
                    e.NonBlocking = (SocketTable.Number(call.Argument(2), 0) & PosixSymbols.Value("O_NONBLOCK")) != 0;
                    return SyscallOutcome.Ok();
                default:
                    throw new SyscallModelException($"system call {call.Name}() is not modelled");
            }
        }
        catch (SocketException x)
        {
            return SyscallOutcome.Fail(Errno(x.SocketErrorCode));
        }
        catch (ErrnoException x)
        {
            return SyscallOutcome.Fail(x.Name);
        }
    }

    /// <summary>A NULL buffer goes to the kernel as it is (no data copied), so its answer is the kernel's own
    /// (EFAULT for a non-empty transfer).</summary>
    private static SyscallOutcome NullBuffer(Socket socket, SyscallLine call)
    {
        nuint length = (nuint)SocketTable.Number(call.Argument(2), 0);
        int flags = 0x40; // MSG_DONTWAIT: the question is the pointer, not whether data is there
        nint result = call.Name is "read" or "recv" or "recvfrom"
            ? RecvNative((int)socket.Handle, null, length, flags)
            : SendNative((int)socket.Handle, null, length, flags | 0x4000); // MSG_NOSIGNAL
        if (result >= 0) return SyscallOutcome.Ok((int)result);
        int errno = Marshal.GetLastPInvokeError();
        return SyscallOutcome.Fail(PosixSymbols.ErrnoName(errno) ?? "EIO");
    }

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint SendNative(int fd, void* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    private static partial nint SendToNative(int fd, void* buffer, nuint length, int flags, byte* address, int addressLength);

    private const int MsgDontWait = 0x40, MsgFastOpen = 0x20000000;

    /// <summary>send(2) of <paramref name="length"/> zero bytes with raw Linux flags; a failure is thrown as .NET's
    /// sockets throw it, so the callers map errnos one way.</summary>
    private static int Send(Socket socket, int length, int flags)
    {
        var data = new byte[length];
        nint result;
        fixed (byte* p = data) result = SendNative((int)socket.Handle, p, (nuint)length, flags);
        if (result >= 0) return (int)result;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == EAgain) throw new SocketException((int)SocketError.WouldBlock);
        throw new ErrnoException(errno);
    }

    private const int EAgain = 11;

    /// <summary>A failed native call's Linux errno, reported by its name.</summary>
    private sealed class ErrnoException(int errno) : Exception($"errno {errno}")
    {
        public string Name { get; } = PosixSymbols.ErrnoName(errno) ?? "EIO";
    }

    /// <summary>sendto(2) with MSG_FASTOPEN to the script's remote address: connects and sends in one call (data in
    /// the SYN when the kernel holds a cookie). A blocking script call waits for the connection, then sends the rest,
    /// as the kernel's blocking call does.</summary>
    private SyscallOutcome? FastOpenSend(Entry e, int length, int flags, out SocketTable.Pending? pending)
    {
        pending = null;
        var address = SocketAddress(e.Socket);
        var data = new byte[length];
        nint result;
        fixed (byte* p = data)
        fixed (byte* a = address)
            result = SendToNative((int)e.Socket.Handle, p, (nuint)length, flags | MsgDontWait, a, address.Length);
        bool blocking = !e.NonBlocking && (flags & MsgDontWait) == 0;
        if (result >= 0 && (result == length || !blocking)) return SyscallOutcome.Ok((int)result);
        int errno = result >= 0 ? 0 : Marshal.GetLastPInvokeError();
        if (result < 0 && (errno != 115 || !blocking)) return SyscallOutcome.Fail(PosixSymbols.ErrnoName(errno) ?? "EIO");
        // A blocking call: the SYN is out (with what of the data fit, when the kernel had a cookie); the call returns
        // once connected and the rest is sent, as the kernel's blocking sendto does.
        e.Connecting = true;
        int sent = result >= 0 ? (int)result : 0;
        pending = () =>
        {
            if (e.Connecting)
            {
                if (ConnectResult(e) is not { } connected) return null;
                if (connected.Errno is not null) return connected;
            }
            return Attempt(() =>
            {
                sent += Send(e.Socket, length - sent, MsgDontWait);
                return sent < length ? null : SyscallOutcome.Ok(sent);
            });
        };
        return null;
    }

    /// <summary>send(2), or sendto(2) to the script's remote with MSG_FASTOPEN, made blocking on the blocking-call
    /// thread as the script wrote it: the socket is switched to blocking for the call and back after it. The kernel
    /// then waits in it as under packetdrill (a send before the handshake completes waits with the socket's
    /// <c>sk_write_pending</c> set, so the kernel holds its ACK of the SYN-ACK for the data that follows).</summary>
    private SyscallOutcome? BlockingSend(Entry e, int length, int flags, out SocketTable.Pending? pending)
    {
        int fd = (int)e.Socket.Handle;
        byte[]? address = (flags & MsgFastOpen) != 0 ? SocketAddress(e.Socket) : null;
        var call = (_blockingCalls ??= new BlockingCallThread()).Start(() =>
        {
            var data = new byte[length];
            SetNonBlocking(fd, false);
            try
            {
                nint result;
                fixed (byte* p = data)
                fixed (byte* a = address)
                    result = address is null ? SendNative(fd, p, (nuint)length, flags) : SendToNative(fd, p, (nuint)length, flags, a, address.Length);
                return result >= 0 ? SyscallOutcome.Ok((int)result) : SyscallOutcome.Fail(PosixSymbols.ErrnoName(Marshal.GetLastPInvokeError()) ?? "EIO");
            }
            finally
            {
                // Every socket of the table is non-blocking underneath (the calls on the loop rely on it).
                SetNonBlocking(fd, true);
            }
        });
        pending = () => call.IsCompleted ? call.Result : null;
        return null;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FcntlNative(int fd, int command, int argument);

    private const int FcntlGetFlags = 3, FcntlSetFlags = 4;

    private static void SetNonBlocking(int fd, bool nonBlocking)
    {
        int flags = FcntlNative(fd, FcntlGetFlags, 0);
        if (flags < 0) return; // closed under the call
        int nonBlock = (int)PosixSymbols.Value("O_NONBLOCK");
        FcntlNative(fd, FcntlSetFlags, nonBlocking ? flags | nonBlock : flags & ~nonBlock);
    }

    /// <summary>The remote's native <c>struct sockaddr_in</c> (16 bytes) or, on an IPv6 socket,
    /// <c>struct sockaddr_in6</c> (28: family, port, flow info, address, scope id), for a raw sendto(2).</summary>
    private byte[] SocketAddress(Socket socket)
    {
        bool v6 = socket.AddressFamily == AddressFamily.InterNetworkV6;
        var address = new byte[v6 ? 28 : 16];
        address[0] = (byte)(v6 ? 10 : 2); // AF_INET6 / AF_INET, little-endian sa_family
        address[2] = (byte)(connectPort >> 8);
        address[3] = (byte)connectPort;
        if (v6) remote.Value.Write(address.AsSpan(8));
        else System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(address.AsSpan(4), remote.Ipv4.Value);
        return address;
    }

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint RecvNative(int fd, void* buffer, nuint length, int flags);

    /// <summary>The raw <c>struct tcp_info</c> of the socket under test, as long as the kernel gives it; null when
    /// no socket was created yet.</summary>
    public byte[]? TcpInfoUnderTest()
    {
        if (_underTest is null) return null;
        var info = new byte[TcpInfoFields.MaxLength];
        int length = _underTest.GetRawSocketOption(6, 11, info); // SOL_TCP, TCP_INFO
        return info[..length];
    }

    /// <summary>MSG_DONTWAIT is carried as <see cref="SocketFlags.Partial"/> (a flag the calls here do not use).</summary>
    private static SocketFlags Flags(Expr? flags)
    {
        long value = SocketTable.Number(flags, 0);
        var result = SocketFlags.None;
        if ((value & PosixSymbols.Value("MSG_PEEK")) != 0) result |= SocketFlags.Peek;
        if ((value & PosixSymbols.Value("MSG_DONTWAIT")) != 0) result |= SocketFlags.Partial;
        return result;
    }

    /// <summary>One try of a call on a non-blocking socket: null while it would block, else its result or errno.</summary>
    private static SyscallOutcome? Attempt(Func<SyscallOutcome?> attempt)
    {
        try
        {
            return attempt();
        }
        catch (SocketException x) when (x.SocketErrorCode == SocketError.WouldBlock)
        {
            return null;
        }
        catch (SocketException x)
        {
            return SyscallOutcome.Fail(Errno(x.SocketErrorCode));
        }
        catch (ErrnoException x)
        {
            return SyscallOutcome.Fail(x.Name);
        }
        catch (ObjectDisposedException)
        {
            return SyscallOutcome.Fail("EBADF"); // the script closed the fd under the blocked call
        }
    }

    private static SyscallOutcome? Blocking(Entry e, Func<SyscallOutcome> attempt, bool dontWait, out SocketTable.Pending? pending)
    {
        pending = null;
        SyscallOutcome? Try() => Attempt(attempt);
        if (Try() is { } now) return now;
        if (e.NonBlocking || dontWait) return SyscallOutcome.Fail("EAGAIN");
        pending = () => Try();
        return null;
    }

    private SyscallOutcome? Connect(Entry e, out SocketTable.Pending? pending)
    {
        pending = null;
        var socket = e.Socket;
        var endpoint = Remote(socket);
        if (e.Connecting) return e.NonBlocking ? ConnectResult(e) ?? SyscallOutcome.Fail("EALREADY") : null;
        try
        {
            socket.Connect(endpoint);
            return SyscallOutcome.Ok();
        }
        catch (SocketException x) when (x.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            e.Connecting = true;
            if (e.NonBlocking) return SyscallOutcome.Fail("EINPROGRESS");
            pending = () => ConnectResult(e);
            return null;
        }
    }

    /// <summary>A connect in progress: done when poll says writable or failed; SO_ERROR tells which.</summary>
    private static SyscallOutcome? ConnectResult(Entry e)
    {
        short revents = PollOne(e.Socket, PollOut);
        if (revents == 0) return null;
        e.Connecting = false;
        int error = (int)e.Socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
        return error == 0 ? SyscallOutcome.Ok() : SyscallOutcome.Fail(ErrnoOf(error));
    }

    private static SyscallOutcome SetOption(Socket socket, SyscallLine call)
    {
        string option = (call.Argument(2) as WordExpr)?.Name ?? "";
        var value = call.Argument(3);
        switch (option)
        {
            case "SO_REUSEADDR":
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, SocketTable.Number(value, 1) != 0);
                return SyscallOutcome.Ok();
            case "TCP_NODELAY":
                socket.NoDelay = SocketTable.Number(value, 1) != 0;
                return SyscallOutcome.Ok();
            case "SO_LINGER":
                var linger = value is ArrayExpr { Items: [StructExpr s] } ? s : value as StructExpr
                             ?? throw new SyscallModelException("SO_LINGER needs {onoff=N, linger=N}");
                socket.LingerState = new LingerOption(SocketTable.Number(linger.Field("onoff") ?? linger.Items.ElementAtOrDefault(0), 0) != 0,
                    (int)SocketTable.Number(linger.Field("linger") ?? linger.Items.ElementAtOrDefault(1), 0));
                return SyscallOutcome.Ok();
            default:
                // Any other option goes to the kernel by its Linux number: an integer, or a string (TCP_CONGESTION).
                var bytes = value is StringExpr text ? System.Text.Encoding.ASCII.GetBytes(text.Value)
                    : BitConverter.GetBytes((int)SocketTable.Number(value, 0));
                socket.SetRawSocketOption((int)SocketTable.Number(call.Argument(1), 0), (int)PosixSymbols.Value(option), bytes);
                return SyscallOutcome.Ok();
        }
    }

    private static SyscallOutcome GetOption(Socket socket, SyscallLine call)
    {
        string option = (call.Argument(2) as WordExpr)?.Name ?? "";
        switch (option)
        {
            case "SO_ERROR":
                int error = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                return new SyscallOutcome(0, null, new Dictionary<string, long>
                    { ["value"] = error == 0 ? 0 : PosixSymbols.Value(ErrnoOf(error)) });
            case "SO_RCVBUF" or "SO_SNDBUF":
                int size = option == "SO_RCVBUF" ? socket.ReceiveBufferSize : socket.SendBufferSize;
                return new SyscallOutcome(0, null, new Dictionary<string, long> { ["value"] = size });
            case "TCP_INFO":
                var info = new byte[TcpInfoFields.MaxLength];
                int length = socket.GetRawSocketOption(6, 11, info); // SOL_TCP, TCP_INFO
                return new SyscallOutcome(0, null, TcpInfoFields.Values(info.AsSpan(0, length)).ToDictionary(f => f.Name, f => (long)f.Value));
            default:
                // Any other option by its Linux number, read as an integer.
                var raw = new byte[4];
                socket.GetRawSocketOption((int)SocketTable.Number(call.Argument(1), 0), (int)PosixSymbols.Value(option), raw);
                return new SyscallOutcome(0, null, new Dictionary<string, long> { ["value"] = BitConverter.ToInt32(raw) });
        }
    }

    private SyscallOutcome? Poll(SyscallLine call, out SocketTable.Pending? pending)
    {
        pending = null;
        var items = (call.Argument(0) as ArrayExpr)?.Items.OfType<StructExpr>().ToList()
                    ?? throw new SyscallModelException("poll() needs [{fd=N, events=...}] as its first argument");
        long timeoutMs = SocketTable.Number(call.Argument(2), 0);
        var started = Environment.TickCount64;
        SyscallOutcome? Try()
        {
            int ready = 0;
            var fields = new Dictionary<string, long>();
            for (int i = 0; i < items.Count; i++)
            {
                int fd = (int)SocketTable.Number(items[i].Field("fd"), -1);
                short events = (short)SocketTable.Number(items[i].Field("events"), 0);
                long revents = _fds.TryGetValue(fd, out var e) ? PollOne(e.Socket, events) : PosixSymbols.Value("POLLNVAL");
                fields[$"revents{i}"] = revents;
                if (revents != 0) ready++;
            }
            if (ready > 0 || (timeoutMs >= 0 && Environment.TickCount64 - started >= timeoutMs)) return new SyscallOutcome(ready, null, fields);
            return null;
        }
        if (Try() is { } now) return now;
        pending = () => Try();
        return null;
    }

    private const short PollOut = 0x4;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int PollNative(PollFd* fds, nuint count, int timeout);

    /// <summary>The kernel's own poll(2) on the socket, timeout 0: revents exactly as Linux computes them.</summary>
    private static short PollOne(Socket socket, short events)
    {
        var fd = new PollFd { Fd = (int)socket.Handle, Events = events };
        return PollNative(&fd, 1, 0) == 1 ? fd.Revents : (short)0;
    }

    /// <summary>SO_ERROR as .NET hands it over: a SocketError, or (small values) the raw errno.</summary>
    private static string ErrnoOf(int error) =>
        error < 1000 && PosixSymbols.ErrnoName(error) is { } name ? name : Errno((SocketError)error);

    private static string Errno(SocketError error) => error switch
    {
        SocketError.WouldBlock => "EAGAIN",
        SocketError.InProgress => "EINPROGRESS",
        SocketError.AlreadyInProgress => "EALREADY",
        SocketError.IsConnected => "EISCONN",
        SocketError.InvalidArgument => "EINVAL",
        SocketError.NotSocket => "ENOTSOCK",
        SocketError.AddressNotAvailable => "EADDRNOTAVAIL",
        SocketError.OperationNotSupported => "EOPNOTSUPP",
        SocketError.ProtocolOption => "ENOPROTOOPT",
        SocketError.MessageSize => "EMSGSIZE",
        SocketError.NoBufferSpaceAvailable => "ENOBUFS",
        SocketError.AccessDenied => "EACCES",
        SocketError.Fault => "EFAULT",
        SocketError.DestinationAddressRequired => "EDESTADDRREQ",
        SocketError.ProtocolType => "EPROTOTYPE",
        SocketError.AddressFamilyNotSupported => "EAFNOSUPPORT",
        _ => PosixSymbols.Errno(error) ?? "EIO",
    };
}
