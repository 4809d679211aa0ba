using System.Net.Sockets;
using CancellationToken = System.Threading.CancellationToken;
using CancellationTokenRegistration = System.Threading.CancellationTokenRegistration;
using Netstack.Network;
using Netstack.Network.Ipv6;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Api;

/// <summary>Echo requests with round-trip times, matched to replies by identifier and sequence. Follows the
/// stack's threading contract: a ping started off the loop is posted to it. Every outcome is a
/// <see cref="PingResult"/> (as ping(8) prints one line per request, and System.Net.NetworkInformation.Ping
/// returns a status rather than throwing for an unreachable host); <see cref="PingResult.SocketError"/> names it
/// in the SocketError terms UDP and TCP throw.</summary>
public sealed class PingService : IEchoClient, IEchoV6Client
{
    /// <summary>Completed results kept for <see cref="TryTakeResult"/>; older ones are dropped (and counted) so
    /// a host pinging forever without reading them holds a bounded amount.</summary>
    public const int MaxResultsKept = 1024;

    private readonly NetworkStack _stack;
    private readonly ushort _identifier;
    private ushort _nextSequence = 1;
    private readonly Dictionary<ushort, Pending> _pending = new();
    private readonly Queue<PingResult> _results = new();

    private sealed class Pending(IpAddress destination, ushort sequence, Instant sentAt, TaskCompletionSource<PingResult> completion)
    {
        public readonly IpAddress Destination = destination;
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
        stack.Ipv6.Icmp.EchoClient = this;
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
        byte? timeToLive = null, bool dontFragment = false, CancellationToken cancellationToken = default) =>
        Start(destination, dataLength, timeout, timeToLive, dontFragment, cancellationToken);

    /// <summary>Sends one ICMPv6 echo request (ping6) of <paramref name="dataLength"/> data bytes, fragmented when it
    /// exceeds the path MTU; completes like <see cref="PingAsync(Ipv4Address, int, Duration?, byte?, bool,
    /// CancellationToken)"/>, the result's <see cref="PingResult.Target"/> and <see cref="PingResult.Responder"/>
    /// being IPv6 addresses.</summary>
    public Task<PingResult> PingAsync(Ipv6Address destination, int dataLength = 56, Duration? timeout = null,
        byte? hopLimit = null, CancellationToken cancellationToken = default) =>
        Start(destination, dataLength, timeout, hopLimit, false, cancellationToken);

    private Task<PingResult> Start(IpAddress destination, int dataLength, Duration? timeout, byte? timeToLive, bool dontFragment,
        CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<PingResult>(cancellationToken);
        var completion = new TaskCompletionSource<PingResult>();
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
        return completion.Task.ResumeOnLoop(_stack.Scheduler);
    }

    /// <summary>Like <see cref="PingAsync(Ipv4Address, int, Duration?, byte?, bool, CancellationToken)"/> for a BCL
    /// address.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is neither IPv4 nor IPv6.</exception>
    public Task<PingResult> PingAsync(System.Net.IPAddress destination, int dataLength = 56, Duration? timeout = null,
        CancellationToken cancellationToken = default) =>
        Start(IpAddress.FromSystem(destination), dataLength, timeout, null, false, cancellationToken);

    private void Send(IpAddress destination, int dataLength, Duration? timeout, byte? timeToLive, bool dontFragment,
        TaskCompletionSource<PingResult> completion)
    {
        if (completion.Task.IsCompleted) return; // cancelled before the loop got to it
        ushort sequence = _nextSequence++;
        var pending = new Pending(destination, sequence, _stack.Scheduler.Now, completion);
        _pending[sequence] = pending;
        pending.Timeout = new ScheduledTimer(_stack.Scheduler, () => Complete(pending, Result(PingStatus.TimedOut, destination, sequence)));
        pending.Timeout.ArmAfter(timeout ?? Duration.FromSeconds(1));
        var sent = destination.IsIpv4
            ? _stack.Icmp.SendEchoRequest(destination.Ipv4, _identifier, sequence, dataLength, timeToLive, dontFragment)
            : _stack.Ipv6.Icmp.SendEchoRequest(destination.Ipv6, _identifier, sequence, dataLength, timeToLive);
        if (sent is SendResult.NoRoute or SendResult.TooBig)
            Complete(pending, Result(sent == SendResult.NoRoute ? PingStatus.NoRoute : PingStatus.TooBig, destination, sequence));
    }

    /// <summary>A result for either family: IPv4 ones exactly as before, IPv6 ones with their addresses in
    /// <see cref="PingResult.Target"/> and <see cref="PingResult.Responder"/>.</summary>
    private static PingResult Result(PingStatus status, IpAddress destination, ushort sequence, Duration rtt = default,
        IpAddress? from = null, byte hops = 0, int dataLength = 0, byte code = 0) =>
        destination.IsIpv4
            ? new PingResult(status, destination.Ipv4, sequence, rtt, from?.Ipv4, hops, dataLength, code)
            : new PingResult(status, Ipv4Address.Any, sequence, rtt, null, hops, dataLength, code) { Target = destination, Responder = from };

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
        if (identifier != _identifier || !_pending.TryGetValue(sequence, out var p) || !p.Destination.IsIpv4) return;
        Complete(p, Result(PingStatus.Success, p.Destination, sequence, _stack.Scheduler.Now - p.SentAt, from,
            timeToLive, dataLength));
    }

    void IEchoV6Client.EchoReply(Ipv6Address from, ushort identifier, ushort sequence, byte hopLimit, int dataLength)
    {
        if (identifier != _identifier || !_pending.TryGetValue(sequence, out var p) || p.Destination.IsIpv4) return;
        Complete(p, Result(PingStatus.Success, p.Destination, sequence, _stack.Scheduler.Now - p.SentAt, from, hopLimit, dataLength));
    }

    void IEchoV6Client.EchoError(in Icmpv6ErrorReport error)
    {
        var echo = new Icmpv6Packet(error.OriginalTransport);
        if (echo.Identifier != _identifier || !_pending.TryGetValue(echo.SequenceNumber, out var p) || p.Destination.IsIpv4) return;
        var status = error.Type switch
        {
            Icmpv6Type.TimeExceeded => PingStatus.TimeExceeded,
            Icmpv6Type.PacketTooBig => PingStatus.TooBig,
            _ => PingStatus.DestinationUnreachable,
        };
        Complete(p, Result(status, p.Destination, p.Sequence, _stack.Scheduler.Now - p.SentAt, error.Reporter, code: error.Code));
    }

    void IEchoClient.EchoError(in IcmpErrorReport error)
    {
        var echo = new IcmpPacket(error.OriginalTransport);
        if (echo.Identifier != _identifier || !_pending.TryGetValue(echo.SequenceNumber, out var p) || !p.Destination.IsIpv4) return;
        var status = error.Type == IcmpType.TimeExceeded ? PingStatus.TimeExceeded : PingStatus.DestinationUnreachable;
        Complete(p, Result(status, p.Destination, p.Sequence, _stack.Scheduler.Now - p.SentAt, error.Reporter, code: error.Code));
    }
}
