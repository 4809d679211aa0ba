using Netstack.Api;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Transport;
using Netstack.Wire;

namespace Netstack.Harness.Steps;

/// <summary><c>expect: { udp-error: a:5000, error: port-unreachable, reporter: 192.0.2.11 }</c>: an ICMP error
/// about a datagram this socket sent was delivered to it (Linux's IP_RECVERR). Taking it clears it.</summary>
public sealed class UdpErrorExpectation : StateExpectation
{
    public static readonly string[] Names =
    [
        "net-unreachable", "host-unreachable", "protocol-unreachable", "port-unreachable", "need-frag",
        "unreachable", "time-exceeded", "parameter-problem", "source-quench",
    ];

    public required SocketName Socket { get; init; }
    public string? Error { get; init; }
    public Ipv4Address? Reporter { get; init; }
    public RemoteEndpoint? About { get; init; }
    /// <summary><c>none: true</c>: no error is waiting (yet).</summary>
    public bool None { get; init; }

    public override bool IsSettled(ScenarioRun run) => None ? Check(run) is null : run.Host(Socket).UdpSocket(Socket).PendingErrors.Count > 0;

    public override string? Check(ScenarioRun run)
    {
        var socket = run.Host(Socket).UdpSocket(Socket);
        if (None)
            return socket.PendingErrors.Count == 0 ? null : $"an error is waiting: {NameOf(socket.PendingErrors.First())} ({socket.PendingErrors.First()})";
        if (socket.PendingErrors.Count == 0) return $"no ICMP error delivered to {Socket}";
        var e = socket.PendingErrors.First();
        if (Error is { } name && !(name == "unreachable" ? e.Type == IcmpType.DestinationUnreachable : NameOf(e) == name))
            return $"got {NameOf(e)} ({e})";
        if (Reporter is { } r && e.Reporter != r) return $"error reported by {e.Reporter}, expected {r} ({e})";
        if (About is { } a && (e.Destination != a.Address.Address || e.DestinationPort != a.Port))
            return $"error is about {e.Destination}:{e.DestinationPort}, expected {a} ({e})";
        return null;
    }

    public override void Consume(ScenarioRun run)
    {
        if (!None) run.Host(Socket).UdpSocket(Socket).TryReceiveError(out _);
    }

    public static string NameOf(UdpSocketError e) => e.Type switch
    {
        IcmpType.DestinationUnreachable => (UnreachableCode)e.Code switch
        {
            UnreachableCode.Network => "net-unreachable",
            UnreachableCode.Host => "host-unreachable",
            UnreachableCode.Protocol => "protocol-unreachable",
            UnreachableCode.Port => "port-unreachable",
            UnreachableCode.FragmentationNeeded => "need-frag",
            _ => $"unreachable (code {e.Code})",
        },
        IcmpType.TimeExceeded => "time-exceeded",
        IcmpType.ParameterProblem => "parameter-problem",
        IcmpType.SourceQuench => "source-quench",
        _ => $"icmp type {(byte)e.Type}",
    };

    public override string Describe() => None ? $"no ICMP error waiting on {Socket}" :
        $"ICMP error on {Socket}" + (Error is { } n ? $": {n}" : "") + (Reporter is { } r ? $" reported by {r}" : "") +
        (About is { } a ? $" about {a}" : "");
}
