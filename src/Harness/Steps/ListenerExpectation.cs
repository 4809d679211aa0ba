using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Steps;

/// <summary><c>expect: { listener: b:80, half-open: 1, accept-queue: 0 }</c>: a listening socket's queues, the
/// connections it holds half-open (SYN received, handshake not complete: what a SYN flood fills) and those complete
/// but not yet accepted.</summary>
public sealed class ListenerExpectation : StateExpectation
{
    public required SocketName Socket { get; init; }
    public int? HalfOpen { get; init; }
    public int? AcceptQueue { get; init; }

    public override string? Check(ScenarioRun run)
    {
        var (halfOpen, acceptQueue) = run.Host(Socket).ListenerQueues(Socket);
        if ((HalfOpen is { } h && h != halfOpen) || (AcceptQueue is { } a && a != acceptQueue))
            return $"{halfOpen} half-open and {acceptQueue} waiting to be accepted";
        return null;
    }

    public override string Describe()
    {
        var parts = new List<string>();
        if (HalfOpen is { } h) parts.Add($"{h} half-open");
        if (AcceptQueue is { } a) parts.Add($"{a} waiting to be accepted");
        return $"listener {Socket} with {string.Join(" and ", parts)}";
    }
}
