using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Time;

namespace Netstack.Harness.Steps;

/// <summary><c>ping: { from: a, to: b, count: 3, size: 56, interval: 1s, timeout: 1s }</c>: echo requests
/// through the host's ping API; results are checked with <c>expect: { ping: a, ... }</c>.</summary>
public sealed class PingStep : ActionStep
{
    public required string From { get; init; }
    public required AddressRef To { get; init; }
    public int Count { get; init; } = 1;
    public int Size { get; init; } = 56;
    public Duration Interval { get; init; } = Duration.FromSeconds(1);
    public Duration Timeout { get; init; } = Duration.FromSeconds(1);
    public byte? TimeToLive { get; init; }
    public bool DontFragment { get; init; }

    public override void Run(ScenarioRun run)
    {
        run.Host(From).ExpectPings(Count);
        int sent = 0;
        void SendOne()
        {
            sent++;
            if (To.Ipv6 is { } v6) run.Host(From).SendPing6(v6, Size, Timeout, TimeToLive);
            else run.Host(From).SendPing(To.Address, Size, Timeout, TimeToLive, DontFragment);
        }
        SendOne();
        if (Count > 1)
        {
            // Request k is due at first + k * interval, as ping(8) schedules them: on a real clock, re-arming from
            // each late wake-up would let the lateness add up.
            var first = run.World.Loop.Now;
            Netstack.Time.ScheduledTimer? timer = null;
            timer = new Netstack.Time.ScheduledTimer(run.World.Loop, () =>
            {
                SendOne();
                if (sent < Count) timer!.Arm(first + Interval * sent);
            });
            timer.Arm(first + Interval);
        }
    }

    public override Trace.FrameCause Cause => Trace.FrameCause.EchoRequest(From, To.Ip, Count);

    public override string Describe() =>
        $"ping from {From} to {To}" + (Count > 1 ? $" x{Count}" : "") + (Size != 56 ? $" size {Size}" : "");
}
