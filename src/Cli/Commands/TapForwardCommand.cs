using System.CommandLine;
using Netstack.Drivers.Tap;
using Netstack.Time;

namespace Netstack.Cli.Commands;

/// <summary>`harness tap forward --a TAP --b TAP`: copies frames between two taps with no stack, on the
/// same live loop `harness tap` uses. The benchmark's baseline: what the tap path itself can carry.</summary>
public static class TapForwardCommand
{
    public static Command Create()
    {
        var a = new Option<string>("--a") { Description = "First TAP device", Required = true };
        var b = new Option<string>("--b") { Description = "Second TAP device", Required = true };
        var mtu = new Option<int?>("--mtu") { Description = "Largest IP packet to forward (default: the taps' MTU)" };
        var duration = new Option<string?>("--duration") { Description = "Stop after this many seconds" };
        var command = new Command("forward", "Forward frames between two TAP devices (no stack; a benchmark baseline)")
        {
            a, b, mtu, duration,
        };
        command.SetAction(parse =>
        {
            var limit = parse.GetValue(duration) is { } d ? Live.TapOptions.ParseDuration(d) : (Duration?)null;
            int? size = parse.GetValue(mtu) is { } m ? Live.TapOptions.ParseMtu(m) : null;
            using var loop = new RealTimeEventLoop();
            TapLink? first = null, second = null;
            try
            {
                first = new TapLink(loop, parse.GetValue(a)!, size);
                second = new TapLink(loop, parse.GetValue(b)!, size);
            }
            catch (TapUnavailableException e)
            {
                first?.Dispose();
                Console.Error.WriteLine($"harness: {e.Message}");
                return Program.ExitFailed;
            }
            using (first)
            using (second)
            {
                var forwarder = new FrameForwarder(first, second);
                using var signals = loop.StopOnTerminationSignals();
                if (limit is { } l) new Netstack.Time.ScheduledTimer(loop, loop.Stop).ArmAfter(l);
                Console.WriteLine($"ready {first.Name} {second.Name}");
                Console.Out.Flush();
                loop.Run();
                Console.Error.WriteLine($"forward: {forwarder.FramesAToB} frames {first.Name}->{second.Name}, " +
                                        $"{forwarder.FramesBToA} {second.Name}->{first.Name}");
            }
            return Program.ExitOk;
        });
        return command;
    }
}
