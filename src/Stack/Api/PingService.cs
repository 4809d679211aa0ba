using System.Net.Sockets;
using CancellationToken = System.Threading.CancellationToken;
using CancellationTokenRegistration = System.Threading.CancellationTokenRegistration;
using Netstack.Network;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Api;

/// <summary>Echo requests with round-trip times, matched to replies by identifier and sequence. Follows the
/// stack's threading contract: a ping started off the loop is posted to it. Every outcome is a
/// <see cref="PingResult"/> (as ping(8) prints one line per request, and System.Net.NetworkInformation.Ping
/// returns a status rather than throwing for an unreachable host); <see cref="PingResult.SocketError"/> names it
/// in the SocketError terms UDP and TCP throw.</summary>
public sealed class PingService : IEchoClient
{
    /// <summary>Completed results kept for <see cref="TryTakeResult"/>; older ones are dropped (and counted) so
    /// a host pinging forever without reading them holds a bounded amount.</summary>
    public const int MaxResultsKept = 1024;

    private readonly NetworkStack _stack;
    private readonly ushort _identifier;
    private ushort _nextSequence = 1;
    private readonly Dictionary<ushort, Pending> _pending = new();
    private readonly Queue<PingResult> _results = new();

    private sealed class Pending(Ipv4Address destination, ushort sequence, Instant sentAt, TaskCompletionSource<PingResult> completion)
    {
        public readonly Ipv4Address Destination = destination;
        public readonly ushort Sequence = sequence;
        public readonly Instant SentAt = sentAt;
        public readonly TaskCompletionSource<PingResult> Completion = completion;
        public ScheduledTimer? Timeout;
    }

    internal PingService(NetworkStack stack)
    {
        _stack = stack;
        _identifier = (ushort)stack.Random.NextUInt64();
        stack.Icmp.EchoClient = this;
    }

    /// <summary>Completed results not yet taken, oldest first (at most <see cref="MaxResultsKept"/>).</summary>
    public IReadOnlyCollection<PingResult> Results => _results;

    /// <summary>Results dropped because <see cref="MaxResultsKept"/> were waiting to be taken.</summary>
    public long ResultsDropped { get; private set; }

    /// <summary>Takes the oldest completed result, in completion order.</summary>
    public bool TryTakeResult(out PingResult result) => _results.TryDequeue(out result!);

    /// <summary>Sends one echo request of <paramref name="dataLength"/> data bytes; completes with the reply,
    /// an ICMP error, or TimedOut after <paramref name="timeout"/>. Cancelling forgets the request.</summary>
    public Task<PingResult> PingAsync(Ipv4Address destination, int dataLength = 56, Duration? timeout = null,
        byte? timeToLive = null, bool dontFragment = false, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<PingResult>(cancellationToken);
        var completion = new TaskCompletionSource<PingResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _stack.Scheduler.RunOnLoop(() => Send(destination, dataLength, timeout, timeToLive, dontFragment, completion));
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() => _stack.Scheduler.RunOnLoop(() =>
            {
                foreach (var p in _pending.Values)
                    if (p.Completion == completion)
                    {
                        _pending.Remove(p.Sequence);
                        p.Timeout?.Cancel();
                        break;
                    }
                completion.TrySetCanceled(cancellationToken);
            }));
            completion.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return completion.Task;
    }

    /// <summary>Like <see cref="PingAsync(Ipv4Address, int, Duration?, byte?, bool, CancellationToken)"/> for a BCL
    /// address.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not an IPv4 address.</exception>
    public Task<PingResult> PingAsync(System.Net.IPAddress destination, int dataLength = 56, Duration? timeout = null,
        CancellationToken cancellationToken = default) =>
        PingAsync(Ipv4Address.FromSystem(destination), dataLength, timeout, cancellationToken: cancellationToken);

    private void Send(Ipv4Address destination, int dataLength, Duration? timeout, byte? timeToLive, bool dontFragment,
        TaskCompletionSource<PingResult> completion)
    {
        if (completion.Task.IsCompleted) return; // cancelled before the loop got to it
        ushort sequence = _nextSequence++;
        var pending = new Pending(destination, sequence, _stack.Scheduler.Now, completion);
        _pending[sequence] = pending;
        pending.Timeout = new ScheduledTimer(_stack.Scheduler, () => Complete(pending, new PingResult(PingStatus.TimedOut, destination, sequence)));
        pending.Timeout.ArmAfter(timeout ?? Duration.FromSeconds(1));
        var sent = _stack.Icmp.SendEchoRequest(destination, _identifier, sequence, dataLength, timeToLive, dontFragment);
        if (sent is SendResult.NoRoute or SendResult.TooBig)
            Complete(pending, new PingResult(sent == SendResult.NoRoute ? PingStatus.NoRoute : PingStatus.TooBig, destination, sequence));
    }

    private void Complete(Pending pending, PingResult result)
    {
        if (!_pending.Remove(pending.Sequence)) return;
        pending.Timeout?.Cancel();
        if (_results.Count >= MaxResultsKept)
        {
            _results.Dequeue();
            ResultsDropped++;
        }
        _results.Enqueue(result);
        pending.Completion.TrySetResult(result);
    }

    void IEchoClient.EchoReply(Ipv4Address from, ushort identifier, ushort sequence, byte timeToLive, int dataLength)
    {
        if (identifier != _identifier || !_pending.TryGetValue(sequence, out var p)) return;
        Complete(p, new PingResult(PingStatus.Success, p.Destination, sequence, _stack.Scheduler.Now - p.SentAt, from,
            timeToLive, dataLength));
    }

    void IEchoClient.EchoError(in IcmpErrorReport error)
    {
        var echo = new IcmpPacket(error.OriginalTransport);
        if (echo.Identifier != _identifier || !_pending.TryGetValue(echo.SequenceNumber, out var p)) return;
        var status = error.Type == IcmpType.TimeExceeded ? PingStatus.TimeExceeded : PingStatus.DestinationUnreachable;
        Complete(p, new PingResult(status, p.Destination, p.Sequence, _stack.Scheduler.Now - p.SentAt, error.Reporter,
            IcmpCode: error.Code));
    }
}
