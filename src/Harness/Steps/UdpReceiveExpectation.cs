using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Steps;

/// <summary><c>expect: { udp-receive: b:7, data: hello, from: a:5000 }</c>: the next datagram received on
/// the socket has these bytes and came from there. Matching it takes it off the queue, like recvfrom().</summary>
public sealed class UdpReceiveExpectation : StateExpectation
{
    public required SocketName Socket { get; init; }
    public Payload? Data { get; init; }
    public RemoteEndpoint? From { get; init; }
    /// <summary><c>none: true</c>: nothing has arrived (yet), to pin down when a datagram does.</summary>
    public bool None { get; init; }

    public override bool IsSettled(ScenarioRun run) => None ? Check(run) is null : run.Host(Socket).Received(Socket).Count > 0;

    public override string? Check(ScenarioRun run)
    {
        var queue = run.Host(Socket).Received(Socket);
        if (None)
            return queue.Count == 0 ? null : $"a datagram is waiting: {Payload.Show(queue.Peek().Data)} from {Show(queue.Peek())}";
        if (queue.Count == 0) return $"no datagram on {Socket} ({run.Host(Socket).DescribeUdp(Socket)})";
        var next = queue.Peek();
        if (Data is { } d && !next.Data.SequenceEqual(d.Bytes))
            return $"received {Payload.Show(next.Data)}, expected {d}";
        if (From is { } f && (next.Remote != f.Address.Ip || next.RemotePort != f.Port))
            return $"datagram came from {Show(next)}, expected {f}";
        return null;
    }

    private static string Show(Netstack.Api.ReceivedDatagram d) =>
        d.Remote.IsIpv4 ? $"{d.Remote}:{d.RemotePort}" : $"[{d.Remote}]:{d.RemotePort}";

    public override void Consume(ScenarioRun run)
    {
        if (!None) run.Host(Socket).Received(Socket).Dequeue();
    }

    public override string Describe() => None ? $"no udp datagram waiting on {Socket}" :
        $"udp datagram on {Socket}" + (Data is { } d ? $" with {d}" : "") + (From is { } f ? $" from {f}" : "");
}
