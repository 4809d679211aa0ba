using System.Net.Sockets;
using Netstack.Harness.Running;
using Netstack.Transport.Tcp;

namespace Netstack.Harness.Steps;

/// <summary><c>expect: { tcp-state: c, state: established }</c>, optionally <c>error: connection-refused</c>
/// (also <c>timed-out</c>, <c>reset</c>, <c>aborted</c>, <c>host-unreachable</c>, <c>none</c>).</summary>
public sealed class TcpStateExpectation : StateExpectation
{
    public static readonly string[] States =
        Enum.GetValues<TcpState>().Select(s => Steps.CounterNames.Kebab(s.ToString())).ToArray();

    public static readonly Dictionary<string, SocketError> Errors = new()
    {
        ["none"] = SocketError.Success,
        ["connection-refused"] = SocketError.ConnectionRefused,
        ["timed-out"] = SocketError.TimedOut,
        ["reset"] = SocketError.ConnectionReset,
        ["aborted"] = SocketError.OperationAborted,
        ["host-unreachable"] = SocketError.HostUnreachable,
        ["network-unreachable"] = SocketError.NetworkUnreachable,
    };

    public required string Connection { get; init; }
    public string? State { get; init; }
    public string? Error { get; init; }

    public override string? Check(ScenarioRun run)
    {
        var e = run.Tcp(Connection);
        if (!e.HasConnection) return $"{Connection} has no connection yet (accept pending)";
        var error = Errors.FirstOrDefault(x => x.Value == e.Error).Key ?? e.Error.ToString();
        if (State is { } s)
        {
            if (e.State is not { } known) return $"{Connection} is on host '{e.Host}', whose TCP state cannot be read ({e.Status})";
            var state = CounterNames.Kebab(known.ToString());
            if (s != state) return $"{Connection} is {state}" + (e.Error != SocketError.Success ? $" (error {error})" : "");
        }
        if (Error is { } want && Errors[want] != e.Error) return $"{Connection} has error {error} ({e.Status})";
        return null;
    }

    public override string Describe() =>
        $"tcp connection {Connection}" + (State is { } s ? $" in state {s}" : "") + (Error is { } e ? $" with error {e}" : "");
}
