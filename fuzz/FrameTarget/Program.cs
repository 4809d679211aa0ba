using Netstack;
using Netstack.Api;
using Netstack.Drivers.Loops;
using Netstack.Drivers.Segments;
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
        if (args.Length > 0)
        {
            var target = new Target();
            foreach (var path in args)
            {
                target.Feed(File.ReadAllBytes(path));
                Console.WriteLine($"{path}: handled");
            }
            return 0;
        }
        // Built inside the callback: instrumented code may only run once SharpFuzz has mapped AFL's
        // coverage memory, which happens in Run.
        Target? shared = null;
        Fuzzer.OutOfProcess.Run(stream =>
        {
            shared ??= new Target();
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            shared.Feed(memory.GetBuffer().AsSpan(0, (int)memory.Length));
        });
        return 0;
    }

    /// <summary>One stack on a scripted link, with a UDP socket so datagrams reach socket delivery.</summary>
    private sealed class Target
    {
        private readonly VirtualEventLoop _loop = new();
        private readonly ScriptedLink _link = new() { Recording = false };
        private readonly UdpSocket _udp;

        public Target()
        {
            var stack = new NetworkStack(_loop, new SeededRandom(1), name: "target");
            stack.AddInterface(_link, MacAddress.Parse("02:00:00:00:00:0b"), Ipv4Cidr.Parse("192.0.2.11/24"));
            _udp = stack.OpenUdp(7);
        }

        public void Feed(ReadOnlySpan<byte> frame)
        {
            _link.Inject(frame);
            // Let timers fire now and then, as they would between real frames.
            _loop.RunUntil(_loop.Now + Duration.FromMilliseconds(100));
            while (_udp.TryReceiveFrom(out _)) { }
        }
    }
}
