// Two hosts on a virtual Ethernet segment: b listens on port 7, a connects, sends a line and reads the echo.
// Everything runs on one virtual clock, so the program finishes at once, and the same seed writes the same
// pcap byte for byte. Usage: TwoHostsTcp [capture.pcap]
using System.Text;
using Netstack.Drivers;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Loops;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Wire;

string path = args.Length > 0 ? args[0] : "two-hosts.pcap";
using var pcap = new PcapFileSink(path);

// The world: one segment, two stacks, every frame they send written to the pcap.
var world = new World(seed: 1, capture: pcap);
var lan = world.AddSegment("lan", new SegmentOptions { BandwidthBitsPerSecond = 10_000_000 }); // 10 Mbit/s
var a = world.AddHost("a");
var b = world.AddHost("b");
world.Attach(a, lan, MacAddress.Parse("02:00:00:00:00:0a"), Ipv4Cidr.Parse("192.0.2.10/24"));
world.Attach(b, lan, MacAddress.Parse("02:00:00:00:00:0b"), Ipv4Cidr.Parse("192.0.2.11/24"));
world.Start();

// Async code runs its continuations on the loop: single-threaded and deterministic.
using var onLoop = new LoopSynchronizationContext(world.Loop).Enter();

var listener = b.ListenTcp(7);
var server = Echo(listener);
var client = Talk(a, Ipv4Address.Parse("192.0.2.11"));

// Run virtual time until both sides are done (or ten virtual seconds pass).
bool done = world.Loop.RunUntil(() => client.IsCompleted && server.IsCompleted, Instant.Zero + Duration.FromSeconds(10));
if (!done || client.IsFaulted || server.IsFaulted)
{
    Console.Error.WriteLine($"the exchange did not finish: {client.Exception?.InnerException?.Message ?? server.Exception?.InnerException?.Message ?? "timed out"}");
    return 1;
}
Console.WriteLine($"a received: {client.Result}");
Console.WriteLine($"{pcap.FramesWritten} frames in {path}, done at {world.Now.Nanoseconds / (double)Duration.NanosecondsPerSecond:0.000000} s virtual time");
return 0;

// b: accept one connection, echo what arrives until the client closes, then close.
static async Task Echo(Netstack.Api.TcpListenSocket listener)
{
    await using var stream = await listener.AcceptAsync();
    var buffer = new byte[1024];
    int n;
    while ((n = await stream.ReadAsync(buffer)) > 0)
        await stream.WriteAsync(buffer.AsMemory(0, n));
}

// a: connect, send a line, stop sending, read the echo to the end.
static async Task<string> Talk(Netstack.NetworkStack host, Ipv4Address server)
{
    await using var stream = await host.ConnectTcpAsync(server, 7);
    await stream.WriteAsync(Encoding.ASCII.GetBytes("hello over a virtual wire\n"));
    stream.ShutdownSend();
    // A read loop, not CopyToAsync: the BCL's helpers await with ConfigureAwait(false), which would leave the loop.
    var reply = new StringBuilder();
    var buffer = new byte[1024];
    int n;
    while ((n = await stream.ReadAsync(buffer)) > 0)
        reply.Append(Encoding.ASCII.GetString(buffer, 0, n));
    return reply.ToString().TrimEnd();
}
