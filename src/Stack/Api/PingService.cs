using Netstack.Network;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Api;

/// <summary>Echo requests with round-trip times, matched to replies by identifier and sequence.</summary>
public sealed class PingService : IEchoClient
{
    private readonly NetworkStack _stack;
    private readonly ushort _identifier;
    private ushort _nextSequence = 1;
    private readonly Dictionary<ushort, Pending> _pending = new();

    private sealed class Pending(Ipv4Address destination, ushort sequence, Instant sentAt, TaskCompletionSource<PingReply> completion)
    {
        public readonly Ipv4Address Destination = destination;
        public readonly ushort Sequence = sequence;
        public readonly Instant SentAt = sentAt;
        public readonly TaskCompletionSource<PingReply> Completion = completion;
        public ScheduledTimer? Timeout;
    }

    internal PingService(NetworkStack stack)
    {
        _stack = stack;
        _identifier = (ushort)stack.Random.NextUInt64();
        stack.Icmp.EchoClient = this;
    }

    /// <summary>Every reply this service has produced, in completion order (for reports and assertions).</summary>
    public List<PingReply> Results { get; } = new();

    /// <summary>Sends one echo request of <paramref name="dataLength"/> data bytes; completes with the reply,
    /// an ICMP error, or TimedOut after <paramref name="timeout"/>.</summary>
    public Task<PingReply> PingAsync(Ipv4Address destination, int dataLength = 56, TimeSpan? timeout = null,
        byte? timeToLive = null, bool dontFragment = false)
    {
        ushort sequence = _nextSequence++;
        var completion = new TaskCompletionSource<PingReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = new Pending(destination, sequence, _stack.Scheduler.Now, completion);
        _pending[sequence] = pending;
        pending.Timeout = new ScheduledTimer(_stack.Scheduler, () => Complete(pending, new PingReply(PingStatus.TimedOut, destination, sequence)));
        pending.Timeout.ArmAfter(timeout ?? TimeSpan.FromSeconds(1));
        var sent = _stack.Icmp.SendEchoRequest(destination, _identifier, sequence, dataLength, timeToLive, dontFragment);
        if (sent is SendResult.NoRoute or SendResult.TooBig)
            Complete(pending, new PingReply(sent == SendResult.NoRoute ? PingStatus.NoRoute : PingStatus.TooBig, destination, sequence));
        return completion.Task;
    }

    private void Complete(Pending pending, PingReply reply)
    {
        if (!_pending.Remove(pending.Sequence)) return;
        pending.Timeout?.Cancel();
        Results.Add(reply);
        pending.Completion.TrySetResult(reply);
    }

    void IEchoClient.EchoReply(Ipv4Address from, ushort identifier, ushort sequence, byte timeToLive, int dataLength)
    {
        if (identifier != _identifier || !_pending.TryGetValue(sequence, out var p)) return;
        Complete(p, new PingReply(PingStatus.Success, p.Destination, sequence, _stack.Scheduler.Now - p.SentAt, from,
            timeToLive, dataLength));
    }

    void IEchoClient.EchoError(in IcmpErrorReport error)
    {
        var echo = new IcmpPacket(error.OriginalTransport);
        if (echo.Identifier != _identifier || !_pending.TryGetValue(echo.SequenceNumber, out var p)) return;
        var status = error.Type == IcmpType.TimeExceeded ? PingStatus.TimeExceeded : PingStatus.DestinationUnreachable;
        Complete(p, new PingReply(status, p.Destination, p.Sequence, _stack.Scheduler.Now - p.SentAt, error.Reporter,
            IcmpCode: error.Code));
    }
}
