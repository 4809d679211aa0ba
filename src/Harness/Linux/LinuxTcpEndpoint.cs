using System.Net;
using System.Net.Sockets;
using Netstack.Harness.Running;
using Netstack.Time;
using Netstack.Transport.Tcp;

namespace Netstack.Harness.Linux;

/// <summary>A named TCP connection on the host the Linux kernel plays: a socket in the peer's namespace. Socket
/// calls complete on pool threads; every result is posted to the event loop, so steps only ever see state
/// changed on the loop thread, between events, as with our stack.</summary>
public sealed class LinuxTcpEndpoint : TcpEndpoint
{
    private readonly IScheduler _loop;
    private readonly TaskCompletionSource<Socket> _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private Socket? _socket;
    private Task _writes;
    private bool _connecting;
    private bool _eof;
    private bool _aborted;
    private SocketError _error = SocketError.Success;
    // The receive loop runs on pool threads: it reads these under _gate.
    private bool _reading = true;
    private TaskCompletionSource? _resumed;

    private LinuxTcpEndpoint(string name, string host, IScheduler loop) : base(name, host)
    {
        _loop = loop;
        _writes = _opened.Task;
    }

    /// <summary>An active open from the kernel host, from <paramref name="localPort"/> (0: the kernel picks one).</summary>
    public static LinuxTcpEndpoint Connect(string name, LinuxPeer peer, IScheduler loop, IPEndPoint remote, ushort localPort)
    {
        var endpoint = new LinuxTcpEndpoint(name, peer.Host.Name, loop) { _connecting = true };
        var socket = peer.OpenTcpSocket();
        if (localPort != 0) socket.Bind(new IPEndPoint(peer.HasIpv6 ? peer.AnyAddress : peer.Interface.Address.Address.ToSystem(), localPort));
        endpoint._socket = socket;
        _ = endpoint.ConnectAsync(socket, remote);
        return endpoint;
    }

    /// <summary>A passive open: the next connection <paramref name="listener"/> accepts.</summary>
    public static LinuxTcpEndpoint Accept(string name, LinuxPeer peer, Socket listener, IScheduler loop)
    {
        var endpoint = new LinuxTcpEndpoint(name, peer.Host.Name, loop);
        _ = endpoint.AcceptAsync(peer, listener);
        return endpoint;
    }

    private async Task ConnectAsync(Socket socket, IPEndPoint remote)
    {
        try
        {
            await socket.ConnectAsync(remote).ConfigureAwait(false);
            _loop.Post(() => Opened(socket));
        }
        catch (SocketException e)
        {
            _loop.Post(() => Failed(e.SocketErrorCode));
        }
        catch (ObjectDisposedException)
        {
            // Aborted before the handshake completed, or the run ended.
        }
    }

    private async Task AcceptAsync(LinuxPeer peer, Socket listener)
    {
        try
        {
            var socket = peer.Own(await listener.AcceptAsync().ConfigureAwait(false));
            _loop.Post(() => Opened(socket));
        }
        catch (SocketException e)
        {
            _loop.Post(() => Failed(e.SocketErrorCode));
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void Opened(Socket socket)
    {
        _socket = socket;
        _connecting = false;
        _opened.TrySetResult(socket);
        _ = ReceiveLoopAsync(socket);
    }

    private void Failed(SocketError error)
    {
        _connecting = false;
        if (_error == SocketError.Success) _error = error;
        _opened.TrySetException(new SocketException((int)error));
    }

    private async Task ReceiveLoopAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                Task? paused;
                lock (_gate) paused = _reading ? null : (_resumed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                if (paused is not null)
                {
                    await paused.ConfigureAwait(false);
                    continue;
                }
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    _loop.Post(() => _eof = true);
                    return;
                }
                var chunk = buffer[..n];
                _loop.Post(() => Received.Append(chunk));
            }
        }
        catch (SocketException e)
        {
            _loop.Post(() => Failed(e.SocketErrorCode));
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public override bool HasConnection => _connecting || _socket is not null && _opened.Task.IsCompleted;
    public override bool IsReceiveFinished => _eof;
    public override bool IsClosed => _aborted || _error != SocketError.Success;
    public override TcpState? State => null;
    public override SocketError Error => _error;

    public override string Status =>
        _aborted ? "aborted" :
        _error != SocketError.Success ? $"failed: {_error}" :
        _connecting ? "connecting (Linux)" :
        _socket is null ? "not accepted yet" :
        _eof ? "end of stream received (Linux)" : "connected (Linux)";

    public override void Send(byte[] data)
    {
        if (!HasConnection) throw new StepFailedException($"{Name} has not been accepted yet");
        _writes = SendAfter(_writes, data);
    }

    private async Task SendAfter(Task before, byte[] data)
    {
        await before.ConfigureAwait(false);
        var socket = await _opened.Task.ConfigureAwait(false);
        try
        {
            for (int sent = 0; sent < data.Length;)
                sent += await socket.SendAsync(data.AsMemory(sent), SocketFlags.None).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            _loop.Post(() => Failed(e.SocketErrorCode));
            throw;
        }
    }

    public override void Close()
    {
        if (!HasConnection) throw new StepFailedException($"{Name} has not been accepted yet");
        _writes = ShutdownAfter(_writes);
    }

    private async Task ShutdownAfter(Task before)
    {
        await before.ConfigureAwait(false);
        var socket = await _opened.Task.ConfigureAwait(false);
        socket.Shutdown(SocketShutdown.Send);
    }

    public override void Abort()
    {
        if (_socket is not { } socket) throw new StepFailedException($"{Name} has not been accepted yet");
        // A zero linger time makes close() send a RST and drop what is queued, as our stack's Abort does.
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
        _aborted = true;
    }

    public override void Poll()
    {
        lock (_gate)
        {
            if (_reading == Reading) return;
            _reading = Reading;
            if (_reading && _resumed is { } resumed)
            {
                _resumed = null;
                resumed.TrySetResult();
            }
        }
    }
}
