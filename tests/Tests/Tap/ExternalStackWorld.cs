using Netstack.Api;
using Netstack.Harness.Linux;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Tap;
using Netstack.Wire;
using Netstack.Drivers;
using Netstack.Time;

namespace Netstack.Tests.Tap;

/// <summary>One of our stacks ("a") and an external host on a virtual segment on the real-time loop, the external
/// host's tap bridged to its port as the scenario runner bridges a Linux peer; every frame is recorded. Work is
/// started on the loop and the loop runs on the calling thread until it completes.</summary>
public sealed class ExternalStackWorld : IDisposable
{
    private readonly PcapFileSink _pcap;

    public ExternalStackWorld(ExternalHostSpec external, MacAddress ourMac, Ipv4Cidr ourAddress, string recording)
    {
        Loop = new RealTimeEventLoop();
        _pcap = new PcapFileSink(recording);
        Recording = recording;
        try
        {
            var sim = new World(seed: 13, _pcap, Loop);
            var lan = sim.AddSegment("lan");
            Stack = sim.AddHost("a");
            sim.Attach(Stack, lan, ourMac, ourAddress, external.Mtu);
            Host = ExternalStackHost.Start(external, Loop);
            var port = new CaptureLink(lan.Connect("ext.lan"), Loop, _pcap, "ext", CaptureDirections.Outbound);
            Forwarder = new FrameForwarder(Host.Tap, port);
            sim.Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public RealTimeEventLoop Loop { get; }
    public NetworkStack Stack { get; } = null!;
    public ExternalStackHost Host { get; } = null!;
    public FrameForwarder Forwarder { get; } = null!;
    public string Recording { get; }

    /// <summary>Starts <paramref name="work"/> on the loop (so its awaits continue there) and runs the loop until it
    /// completes; a generous limit only stops a hung peer from hanging the test run.</summary>
    public T Drive<T>(Func<Task<T>> work, double limitSeconds = 30)
    {
        Task<T>? task = null;
        Loop.Post(() => task = work());
        if (!Loop.RunUntil(() => task is { IsCompleted: true }, Duration.FromSeconds(limitSeconds)))
            throw new TimeoutException($"not done within {limitSeconds} s; host output:\n{Host.Output}");
        return task!.GetAwaiter().GetResult();
    }

    public PingResult Ping(Ipv4Address to, int dataLength = 56) =>
        Drive(() => Stack.PingAsync(to, dataLength, Duration.FromSeconds(3)));

    /// <summary>Sends <paramref name="data"/> on a new connection, closes our side, and returns all the peer sent
    /// back until it closed its side.</summary>
    public byte[] Exchange(Ipv4Address to, ushort port, byte[] data) => Drive(async () =>
    {
        var stream = await Stack.ConnectTcpAsync(to, port);
        try
        {
            var reading = ReadToEnd(stream);
            await stream.WriteAsync(data);
            stream.ShutdownSend();
            return await reading;
        }
        finally
        {
            await stream.DisposeAsync();
        }
    });

    private static async Task<byte[]> ReadToEnd(TcpStream stream)
    {
        var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0) all.Write(buffer, 0, n);
        return all.ToArray();
    }

    /// <summary>Sends one datagram and returns the first one that comes back.</summary>
    public ReceivedDatagram UdpRoundTrip(Ipv4Address to, ushort port, byte[] payload) => Drive(async () =>
    {
        using var socket = Stack.OpenUdp();
        socket.SendTo(payload, to, port);
        return await socket.ReceiveFromAsync();
    }, limitSeconds: 5);

    /// <summary>The error a connection attempt ends with (null when it connects).</summary>
    public System.Net.Sockets.SocketError? ConnectError(Ipv4Address to, ushort port) => Drive<System.Net.Sockets.SocketError?>(async () =>
    {
        try
        {
            var stream = await Stack.ConnectTcpAsync(to, port);
            await stream.DisposeAsync();
            return null;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            return e.SocketErrorCode;
        }
    });

    /// <summary>The external host's MAC as our stack learned it by ARP.</summary>
    public MacAddress? LearnedMac(Ipv4Address address) =>
        Stack.Interfaces[0].Arp.TryLookup(address, out var mac) ? mac : null;

    public void Dispose()
    {
        Host?.Dispose();
        Loop.Dispose();
        _pcap.Dispose();
    }
}
