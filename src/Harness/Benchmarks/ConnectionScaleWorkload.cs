using System.Diagnostics;
using Netstack.Api;
using Netstack.Drivers;
using Netstack.Drivers.Segments;
using Netstack.Network;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Benchmarks;

/// <summary>How many TCP connections one process holds: the managed heap one established, idle connection costs
/// (its control block, its <see cref="TcpStream"/>, its demultiplexing entry; measured over both ends of many
/// connections after each has carried a request and a reply, so its buffers were rented once and must be back in
/// the pool), and the wall time and working set of 100,000 concurrent connections in one world.</summary>
public sealed class ConnectionScaleWorkload : IBenchmarkWorkload
{
    public string Title => "Scale: TCP connections in one simulation";

    public IEnumerable<BenchmarkFigure> Run(BenchmarkSettings settings)
    {
        var idle = Measure(settings.IsQuick ? 2_000 : 10_000);
        yield return new BenchmarkFigure("bytes-per-idle-connection", idle.BytesPerEndpoint, "B",
            $"managed heap per established, idle connection end ({idle.Connections:N0} connections, both ends ours)", "<= 16384");
        yield return new BenchmarkFigure("idle-connection-buffer-bytes", idle.BufferBytesHeld, "B",
            "send/receive ring bytes still held by those idle connections", "0");

        int many = settings.IsQuick ? 20_000 : 100_000;
        var big = Measure(many);
        string name = settings.IsQuick ? "connections-20k" : "connections-100k";
        yield return new BenchmarkFigure($"{name}-seconds", big.Seconds, "s",
            $"{many:N0} concurrent connections opened, each carrying a request and a reply, then idle");
        yield return new BenchmarkFigure($"{name}-rss", big.WorkingSetBytes / 1e6, "MB",
            "working set of the process while holding them", "<= 4000");
    }

    /// <summary>What <see cref="Measure"/> saw.</summary>
    public sealed record Result(int Connections, double BytesPerEndpoint, long BufferBytesHeld, double Seconds, long WorkingSetBytes);

    /// <summary>Opens <paramref name="connections"/> connections from one host to another (100 listening ports, explicit
    /// local ports, so neither the ephemeral range nor a backlog limits the count), sends 100 bytes each way on each,
    /// reads them, lets delayed ACKs fire, and measures the heap they hold while idle.</summary>
    public static Result Measure(int connections)
    {
        long started = Stopwatch.GetTimestamp();
        var sim = new World(1);
        var lan = sim.AddSegment("lan", new SegmentOptions { Latency = Duration.FromMicroseconds(50) });
        var client = sim.AddHost("client");
        var server = sim.AddHost("server");
        sim.Attach(client, lan, new MacAddress(0x0200_0000_0001UL), Ipv4Cidr.Parse("10.0.0.1/24"));
        sim.Attach(server, lan, new MacAddress(0x0200_0000_0002UL), Ipv4Cidr.Parse("10.0.0.2/24"));
        sim.Start();
        var serverIp = Ipv4Address.Parse("10.0.0.2");
        const int ports = 100;
        var listeners = new TcpListenSocket[ports];
        for (int p = 0; p < ports; p++) listeners[p] = server.ListenTcp((ushort)(5000 + p), backlog: 4096);
        // Resolve ARP both ways first: a stack holds few packets waiting for a resolution, and a batch of SYNs
        // behind one would otherwise wait for their retransmission.
        var ping = client.PingAsync(serverIp);
        sim.Loop.RunUntil(sim.Loop.Now + Duration.FromMilliseconds(10));
        if (!ping.IsCompletedSuccessfully || ping.Result.Status != PingStatus.Success)
            throw new InvalidOperationException("the server does not answer ping");

        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = GC.GetTotalMemory(true);

        var clients = new TcpStream[connections];
        var servers = new TcpStream[connections];
        var request = new byte[100];
        var sink = new byte[1024];
        const int batch = 1_000;
        for (int first = 0; first < connections; first += batch)
        {
            int count = Math.Min(batch, connections - first);
            var connects = new Task<TcpStream>[count];
            var accepts = new Task<TcpStream>[count];
            for (int i = 0; i < count; i++)
            {
                int n = first + i;
                accepts[i] = listeners[n % ports].AcceptAsync();
                connects[i] = client.ConnectTcpAsync(serverIp, (ushort)(5000 + n % ports), (ushort)(1024 + n / ports));
            }
            // Handshakes take three 50 µs hops; 5 ms of virtual time is plenty (checking every task after every
            // event instead would cost batch² checks).
            sim.Loop.RunUntil(sim.Loop.Now + Duration.FromMilliseconds(5));
            for (int i = 0; i < count; i++)
            {
                if (!connects[i].IsCompletedSuccessfully || !accepts[i].IsCompletedSuccessfully)
                    throw new InvalidOperationException($"connection {first + i} did not establish");
                clients[first + i] = connects[i].Result;
                servers[first + i] = accepts[i].Result;
            }
            // A request and a reply on each, driving the control blocks directly as the wire would: no tasks.
            for (int i = 0; i < count; i++) clients[first + i].Connection.Send(request);
            sim.Loop.RunUntil(sim.Loop.Now + Duration.FromMilliseconds(1));
            for (int i = 0; i < count; i++)
            {
                var s = servers[first + i].Connection;
                if (s.Receive(sink) != request.Length) throw new InvalidOperationException("request did not arrive");
                s.Send(request);
            }
            sim.Loop.RunUntil(sim.Loop.Now + Duration.FromMilliseconds(1));
            for (int i = 0; i < count; i++)
                if (clients[first + i].Connection.Receive(sink) != request.Length) throw new InvalidOperationException("reply did not arrive");
        }
        // Delayed ACKs fire; then every byte is acknowledged and read, nothing queued either way.
        sim.Loop.RunUntil(sim.Loop.Now + Duration.FromSeconds(1));
        long buffers = 0;
        for (int i = 0; i < connections; i++)
            buffers += clients[i].Connection.BufferMemoryHeld + servers[i].Connection.BufferMemoryHeld;

        GC.Collect();
        GC.WaitForPendingFinalizers();
        long after = GC.GetTotalMemory(true);
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        using var self = Process.GetCurrentProcess();
        long workingSet = self.WorkingSet64;
        GC.KeepAlive(clients);
        GC.KeepAlive(servers);
        GC.KeepAlive(sim);
        return new Result(connections, (after - before) / (2.0 * connections), buffers, seconds, workingSet);
    }
}
