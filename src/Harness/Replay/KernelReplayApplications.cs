using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Netstack.Drivers.Loops;
using Netstack.Harness.Linux;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>The captured endpoint's applications played by the Linux kernel: sockets opened in the replay's
/// namespace listen where the endpoint listened, connect from the port it connected from, and send what its
/// applications sent, each step no earlier than its captured time and only after the peer's data that preceded it
/// in the capture has arrived (as <see cref="ReplayApplications"/> does on our stack). Echo requests go out of a raw
/// ICMP socket with the captured identifier, sequence, data, TTL and DF. Socket calls complete on pool threads; every
/// result is posted to the loop, so the steps' state changes only on the loop thread.</summary>
public sealed class KernelReplayApplications
{
    private readonly IEventLoop _loop;
    private readonly NetworkNamespace _namespace;
    private readonly IPAddress? _address;
    private readonly IPAddress? _address6;
    private readonly List<Socket> _sockets = new();
    private readonly Dictionary<string, MemoryStream> _delivered = new();
    private readonly List<string> _problems = new();
    private Socket? _icmp, _icmp6;
    private int _tcpStepsToPlay; // loop thread only
    private int _writesInFlight; // the loop starts them, the socket's completions end them

    /// <param name="address">The endpoint's IPv4 address, if it has one.</param>
    /// <param name="address6">Its IPv6 address, if it has one: listeners and UDP ports are then dual-stack.</param>
    public KernelReplayApplications(IEventLoop loop, NetworkNamespace ns, Ipv4Address? address, Ipv6Address? address6,
        List<TcpServerScript> tcp, List<UdpServerScript> udp, List<EchoRequestStep> echoes)
    {
        _loop = loop;
        _namespace = ns;
        _address = address?.ToSystem();
        _address6 = address6?.ToSystem();
        _tcpStepsToPlay = tcp.Sum(s => s.Steps.Count);
        foreach (var group in tcp.Where(s => !s.Active).GroupBy(s => s.Port))
            Listen(group.Key, group.ToList());
        foreach (var script in tcp.Where(s => s.Active))
            At(script.ConnectAt, () => Connect(script));
        foreach (var script in udp)
            StartUdp(script);
        if (echoes.Any(e => e.Destination.IsIpv4)) _icmp = Open(SocketType.Raw, ProtocolType.Icmp);
        if (echoes.Any(e => !e.Destination.IsIpv4)) _icmp6 = Open(SocketType.Raw, ProtocolType.IcmpV6, AddressFamily.InterNetworkV6);
        foreach (var echo in echoes)
            At(echo.Time, () => SendEcho(echo));
    }

    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (_problems) return _problems.ToList();
        }
    }

    public byte[]? Delivered(string flow) => _delivered.GetValueOrDefault(flow)?.ToArray();

    public bool Stopped { get; private set; }

    /// <summary>Some TCP step of the capture is not played yet, or a write or close is still waiting on the kernel.</summary>
    public bool Behind => _tcpStepsToPlay > 0 || Volatile.Read(ref _writesInFlight) > 0;

    private void Problem(string text)
    {
        lock (_problems) _problems.Add(text);
    }

    private Socket Open(SocketType type, ProtocolType protocol, AddressFamily family = AddressFamily.InterNetwork)
    {
        var socket = _namespace.RunInside(() => new Socket(family, type, protocol));
        return Own(socket);
    }

    /// <summary>A socket for a port both families reach: dual-stack when the endpoint has an IPv6 address.</summary>
    private (Socket Socket, IPAddress Any) OpenForBoth(SocketType type, ProtocolType protocol)
    {
        if (_address6 is null) return (Open(type, protocol), _address ?? IPAddress.Any);
        var socket = Open(type, protocol, AddressFamily.InterNetworkV6);
        socket.DualMode = true;
        return (socket, IPAddress.IPv6Any);
    }

    private Socket Own(Socket socket)
    {
        lock (_sockets)
        {
            if (Stopped) socket.Dispose();
            else _sockets.Add(socket);
        }
        return socket;
    }

    private sealed class Timed(Action action) : IScheduledAction
    {
        public void Run(long token) => action();
    }

    private void At(Instant time, Action action) => _loop.Schedule(time, new Timed(() =>
    {
        if (!Stopped) action();
    }), 0);

    private void Listen(ushort port, List<TcpServerScript> scripts)
    {
        var (listener, any) = OpenForBoth(SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(any, port));
        listener.Listen(64);
        var unclaimed = new List<TcpServerScript>(scripts);
        for (int i = 0; i < scripts.Count; i++) _ = AcceptAsync(listener, unclaimed);
    }

    private async Task AcceptAsync(Socket listener, List<TcpServerScript> unclaimed)
    {
        Socket socket;
        int port;
        try
        {
            socket = Own(await listener.AcceptAsync().ConfigureAwait(false));
            port = ((IPEndPoint)socket.RemoteEndPoint!).Port;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return; // the listener closed at the end of the replay
        }
        _loop.Post(() =>
        {
            var script = unclaimed.FirstOrDefault(s => s.PeerPort == port);
            if (script is null)
            {
                Problem($"the kernel accepted a connection from port {port} that the capture does not have");
                return;
            }
            unclaimed.Remove(script);
            Converse(socket, script);
        });
    }

    private void Connect(TcpServerScript script)
    {
        bool v4 = script.PeerAddress.IsIpv4;
        var socket = Open(SocketType.Stream, ProtocolType.Tcp, v4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        var remote = new IPEndPoint(script.PeerAddress.ToSystem(), script.PeerPort);
        try
        {
            socket.Bind(new IPEndPoint((v4 ? _address : _address6) ?? (v4 ? IPAddress.Any : IPAddress.IPv6Any), script.Port));
        }
        catch (SocketException e)
        {
            Problem($"the kernel could not bind port {script.Port} to connect to {remote}: {e.SocketErrorCode}");
            return;
        }
        _ = ConnectAsync(socket, remote, script);
    }

    private async Task ConnectAsync(Socket socket, IPEndPoint remote, TcpServerScript script)
    {
        try
        {
            await socket.ConnectAsync(remote).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            if (!script.PeerReset) Problem($"the kernel's connect to {remote} failed: {e.SocketErrorCode}");
            return;
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        _loop.Post(() => Converse(socket, script));
    }

    /// <summary>Plays one connection's steps while reading everything the peer sends. Writes are chained, so a send
    /// that waits for the peer's window holds the later steps without blocking the loop.</summary>
    private void Converse(Socket socket, TcpServerScript script)
    {
        long received = 0;
        bool eof = false;
        int next = 0;
        Task writes = Task.CompletedTask;
        var delivered = _delivered[$"tcp {ReplayFrame.Endpoint(script.PeerAddress, script.PeerPort)} :{script.Port}"] = new MemoryStream();
        // On the real clock a step can run late (a loaded machine, a peer segment held for the kernel); the next one
        // then keeps its captured distance from it, so a write and the close after it stay two segments instead of
        // one with the FIN on the data.
        Instant? previousAt = null;
        var previousCaptured = Instant.Zero;
        Instant Due(ServerStep step) => previousAt is { } at ? Instant.Max(step.Time, at + (step.Time - previousCaptured)) : step.Time;
        bool Ready(ServerStep step) =>
            _loop.Now >= Due(step) && step.PeerHasSent(received, eof);
        void Poll()
        {
            while (!Stopped && next < script.Steps.Count && Ready(script.Steps[next]))
            {
                var step = script.Steps[next++];
                _tcpStepsToPlay--;
                (previousAt, previousCaptured) = (_loop.Now, step.Time);
                Interlocked.Increment(ref _writesInFlight);
                writes = step.Close ? ShutdownAfter(writes, socket, script) : SendAfter(writes, socket, step.Payload, script);
                if (next < script.Steps.Count && Due(script.Steps[next]) > script.Steps[next].Time)
                    At(Due(script.Steps[next]), Poll);
            }
        }
        foreach (var step in script.Steps) At(step.Time, Poll);
        Poll();
        _ = ReceiveAsync(socket, chunk =>
        {
            if (chunk is null)
            {
                eof = true;
            }
            else
            {
                received += chunk.Length;
                delivered.Write(chunk);
            }
            Poll();
        });
    }

    private async Task SendAfter(Task before, Socket socket, byte[] payload, TcpServerScript script)
    {
        await before.ConfigureAwait(false);
        try
        {
            for (int sent = 0; sent < payload.Length;)
                sent += await socket.SendAsync(payload.AsMemory(sent), SocketFlags.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (!Stopped && !script.PeerReset) Problem($"port {script.Port}: the kernel refused the replay application's send: {e.Message}");
        }
        finally
        {
            Interlocked.Decrement(ref _writesInFlight);
        }
    }

    private async Task ShutdownAfter(Task before, Socket socket, TcpServerScript script)
    {
        await before.ConfigureAwait(false);
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (!Stopped && !script.PeerReset) Problem($"port {script.Port}: the kernel refused the replay application's close: {e.Message}");
        }
        finally
        {
            Interlocked.Decrement(ref _writesInFlight);
        }
    }

    /// <summary>Reads until the end of the stream (or a reset), handing each chunk to the loop; null at the end.</summary>
    private async Task ReceiveAsync(Socket socket, Action<byte[]?> onLoop)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (n == 0) break;
                var chunk = buffer[..n];
                _loop.Post(() => onLoop(chunk));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // reset by the peer, or the replay ended: nothing more will arrive
        }
        _loop.Post(() => onLoop(null));
    }

    private void StartUdp(UdpServerScript script)
    {
        var (socket, any) = OpenForBoth(SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(_address6 is null ? IPAddress.Any : any, script.Port));
        long received = 0;
        IPEndPoint? peer = script.PeerPort == 0 ? null : new IPEndPoint(script.PeerAddress.ToSystem(), script.PeerPort);
        int next = 0;
        void Poll()
        {
            while (!Stopped && next < script.Steps.Count)
            {
                var step = script.Steps[next];
                if (_loop.Now < step.Time || !step.PeerHasSent(received, peerClosed: false) || (peer is null && step.ToPort == 0)) return;
                next++;
                try
                {
                    socket.SendTo(step.Payload, step.ToPort != 0 ? new IPEndPoint(step.ToAddress.ToSystem(), step.ToPort) : peer!);
                }
                catch (SocketException e)
                {
                    Problem($"udp port {script.Port}: the kernel refused the datagram to {peer}: {e.SocketErrorCode}");
                }
            }
        }
        foreach (var step in script.Steps) At(step.Time, Poll);
        _ = ReceiveDatagramsAsync(socket, from =>
        {
            received++;
            peer = from;
            Poll();
        });
    }

    private async Task ReceiveDatagramsAsync(Socket socket, Action<IPEndPoint> onLoop)
    {
        var buffer = new byte[65536];
        while (true)
        {
            try
            {
                var r = await socket.ReceiveFromAsync(buffer, SocketFlags.None,
                    new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0)).ConfigureAwait(false);
                var from = (IPEndPoint)r.RemoteEndPoint;
                _loop.Post(() => onLoop(from));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // A port unreachable for an earlier send surfaces here on Linux; keep receiving.
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return; // the replay ended
            }
        }
    }

    /// <summary>An echo request as the captured endpoint sent it: the kernel adds the IP header (and fragments it when
    /// DF is clear and it does not fit), the ICMP message is ours to the last byte (over IPv6 the kernel fills in
    /// the checksum, which covers its pseudo-header, RFC 3542 §3.1).</summary>
    private void SendEcho(EchoRequestStep step)
    {
        bool v4 = step.Destination.IsIpv4;
        var message = new byte[8 + step.Data.Length];
        message[0] = v4 ? (byte)8 : (byte)128;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4), step.Identifier);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(6), step.Sequence);
        step.Data.CopyTo(message, 8);
        if (v4) BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), Checksum.Compute(message));
        try
        {
            if (v4)
            {
                _icmp!.Ttl = step.Ttl;
                _icmp.DontFragment = step.DontFragment;
                _icmp.SendTo(message, new IPEndPoint(step.Destination.ToSystem(), 0));
            }
            else
            {
                _icmp6!.Ttl = step.Ttl; // IPV6_UNICAST_HOPS on an IPv6 socket
                _icmp6.SendTo(message, new IPEndPoint(step.Destination.ToSystem(), 0));
            }
        }
        catch (SocketException e)
        {
            Problem($"echo request id {step.Identifier} seq {step.Sequence} to {step.Destination} could not be sent: {e.SocketErrorCode}");
        }
    }

    public void Stop()
    {
        lock (_sockets)
        {
            Stopped = true;
            foreach (var s in _sockets)
            {
                try { s.Dispose(); } catch (ObjectDisposedException) { }
            }
            _sockets.Clear();
        }
    }
}
