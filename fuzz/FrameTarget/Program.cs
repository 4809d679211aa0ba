using Netstack;
using Netstack.Simulation.Loop;
using Netstack.Simulation.Wire;
using Netstack.Time;
using Netstack.Wire;
using SharpFuzz;

namespace Netstack.Fuzz;

/// <summary>Feeds each fuzzer input to one stack as a received Ethernet frame. Any exception escaping the
/// stack is a bug (the stack must drop and count malformed frames), so it is left to crash the process,
/// which is how AFL recognises a finding. With file arguments and no AFL, replays those inputs instead.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var loop = new VirtualEventLoop();
        var link = new ScriptedLink { Recording = false };
        var stack = new NetworkStack(loop, new SeededRandom(1), name: "target");
        stack.AddInterface(link, MacAddress.Parse("02:00:00:00:00:0b"), Ipv4Cidr.Parse("192.0.2.11/24"));
        using var udp = stack.OpenUdp(7);

        void Feed(ReadOnlySpan<byte> frame)
        {
            link.Inject(frame);
            // Let timers fire now and then, as they would between real frames.
            loop.RunUntil(loop.Now + TimeSpan.FromMilliseconds(100));
            while (udp.TryReceiveFrom(out _)) { }
        }

        if (args.Length > 0)
        {
            foreach (var path in args)
            {
                Feed(File.ReadAllBytes(path));
                Console.WriteLine($"{path}: handled");
            }
            return 0;
        }
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            Feed(memory.GetBuffer().AsSpan(0, (int)memory.Length));
        });
        return 0;
    }
}
