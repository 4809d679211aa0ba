using Netstack.Network;
using Netstack.Api;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>The applications our endpoint runs during a replay: they listen where the captured endpoint
/// listened and send what its applications sent, each step no earlier than its captured time and only after
/// the peer's data that preceded it in the capture has arrived. An application checks its next step at
/// the step's captured time and whenever data arrives.</summary>
public sealed class ReplayApplications : IScheduledAction
{
    private readonly NetworkStack _stack;
    private readonly List<Action> _pollers = new();
    private readonly List<IDisposable> _resources = new();

    public ReplayApplications(NetworkStack stack, List<TcpServerScript> tcp, List<UdpServerScript> udp, List<EchoRequestStep>? echoes = null)
    {
        _stack = stack;
        foreach (var group in tcp.Where(s => !s.Active).GroupBy(s => s.Port))
            StartTcp(group.Key, group.ToList());
        foreach (var script in tcp.Where(s => s.Active))
            _stack.Scheduler.Schedule(script.ConnectAt, new Connector(this, script), 0);
        foreach (var script in udp)
            StartUdp(script);
        foreach (var echo in echoes ?? [])
            _stack.Scheduler.Schedule(echo.Time, new EchoSender(this, echo), 0);
    }

    /// <summary>Sends an echo request our endpoint sent in the capture, with its identifier, sequence and data.</summary>
    private sealed class EchoSender(ReplayApplications apps, EchoRequestStep step) : IScheduledAction
    {
        public void Run(long token)
        {
            if (apps.Stopped) return;
            var result = step.Destination.IsIpv4
                ? apps._stack.Icmp.SendEchoRequest(step.Destination.Ipv4, step.Identifier, step.Sequence, step.Data, step.Ttl, step.DontFragment)
                : apps._stack.Ipv6.Icmp.SendEchoRequest(step.Destination.Ipv6, step.Identifier, step.Sequence, step.Data, step.Ttl);
            if (result is SendResult.NoRoute or SendResult.TooBig)
                apps.Problems.Add($"echo request id {step.Identifier} seq {step.Sequence} to {step.Destination} could not be sent: {result}");
        }
    }

    public List<string> Problems { get; } = new();

    /// <summary>What each TCP connection's application received, by flow name ("tcp PEER:PORT :PORT").</summary>
    public Dictionary<string, MemoryStream> Delivered { get; } = new();

    private void StartTcp(ushort port, List<TcpServerScript> scripts)
    {
        var listener = _stack.ListenTcp(port);
        _resources.Add(listener);
        foreach (var _ in scripts) Accept(listener, scripts);
    }

    private async void Accept(TcpListenSocket listener, List<TcpServerScript> scripts)
    {
        TcpStream stream;
        try
        {
            stream = await listener.AcceptAsync();
        }
        catch (Exception)
        {
            return; // the listener closed at the end of the replay
        }
        var script = scripts.FirstOrDefault(s => s.PeerPort == stream.RemoteEndPoint.Port);
        if (script is null)
        {
            Problems.Add($"accepted a connection from port {stream.RemoteEndPoint.Port} that the capture does not have");
            return;
        }
        await Converse(stream, script);
    }

    /// <summary>Opens the connection our endpoint opened in the capture, at its captured time.</summary>
    private sealed class Connector(ReplayApplications apps, TcpServerScript script) : IScheduledAction
    {
        public void Run(long token) => apps.Connect(script);
    }

    private async void Connect(TcpServerScript script)
    {
        TcpStream stream;
        try
        {
            stream = script.PeerAddress.IsIpv4
                ? await _stack.ConnectTcpAsync(script.PeerAddress.Ipv4, script.PeerPort, script.Port)
                : await _stack.ConnectTcpAsync(script.PeerAddress.Ipv6, script.PeerPort, script.Port);
        }
        catch (Exception e)
        {
            if (!script.PeerReset) Problems.Add($"connect to {ReplayFrame.Endpoint(script.PeerAddress, script.PeerPort)} failed: {e.Message}");
            return;
        }
        await Converse(stream, script);
    }

    /// <summary>Plays one connection's steps while reading everything the peer sends.</summary>
    private async Task Converse(TcpStream stream, TcpServerScript script)
    {
        long received = 0;
        bool eof = false, writing = false;
        int next = 0;
        bool Ready(ServerStep step) =>
            _stack.Scheduler.Now >= step.Time && step.PeerHasSent(received, eof);
        // Steps are written one after another; a write that waits for the peer's window holds the later ones.
        async void Poll()
        {
            if (writing) return;
            writing = true;
            try
            {
                while (next < script.Steps.Count && Ready(script.Steps[next]))
                {
                    var step = script.Steps[next++];
                    if (step.Close) stream.ShutdownSend();
                    else await stream.WriteAsync(step.Payload);
                }
            }
            catch (Exception e)
            {
                Problems.Add($"port {script.Port}: the replay application could not {(script.Steps[next - 1].Close ? "close" : "send")}: {e.Message}");
                next = script.Steps.Count;
            }
            finally
            {
                writing = false;
            }
        }
        _pollers.Add(Poll);
        WakeAt(script.Steps);
        Poll();
        var buffer = new byte[65536];
        var delivered = Delivered[$"tcp {ReplayFrame.Endpoint(script.PeerAddress, script.PeerPort)} :{script.Port}"] = new MemoryStream();
        try
        {
            while (true)
            {
                int n = await stream.ReadAsync(buffer);
                if (n == 0) break;
                received += n;
                delivered.Write(buffer, 0, n);
                Poll();
            }
        }
        catch (IOException)
        {
            // reset by the peer: nothing more will arrive
        }
        eof = true;
        Poll();
    }

    private void StartUdp(UdpServerScript script)
    {
        var socket = _stack.OpenUdp(script.Port);
        _resources.Add(socket);
        long received = 0;
        var peer = script.PeerAddress;
        ushort peerPort = script.PeerPort;
        int next = 0;
        void Poll()
        {
            while (next < script.Steps.Count)
            {
                var step = script.Steps[next];
                if (_stack.Scheduler.Now < step.Time || !step.PeerHasSent(received, peerClosed: false) || (peerPort == 0 && step.ToPort == 0)) return;
                next++;
                if (step.ToPort != 0) socket.SendTo(step.Payload, step.ToAddress, step.ToPort);
                else socket.SendTo(step.Payload, peer, peerPort);
            }
        }
        _pollers.Add(Poll);
        WakeAt(script.Steps);
        ReceiveLoop(socket, datagram =>
        {
            received++;
            peer = datagram.RemoteAddress;
            peerPort = datagram.RemotePort;
            Poll();
        });
    }

    private async void ReceiveLoop(UdpSocket socket, Action<ReceivedDatagram> onDatagram)
    {
        while (!Stopped)
        {
            ReceivedDatagram datagram;
            try
            {
                datagram = await socket.ReceiveFromAsync();
            }
            catch (Exception)
            {
                return; // the socket closed at the end of the replay
            }
            onDatagram(datagram);
        }
    }

    private void WakeAt(List<ServerStep> steps)
    {
        foreach (var step in steps)
            _stack.Scheduler.Schedule(step.Time, this, _pollers.Count - 1);
    }

    /// <summary>A step's captured time has come: check that application.</summary>
    public void Run(long token)
    {
        if (!Stopped) _pollers[(int)token]();
    }

    public bool Stopped { get; private set; }

    public void Stop()
    {
        Stopped = true;
        foreach (var r in _resources) r.Dispose();
    }
}
