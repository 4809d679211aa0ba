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
        if (e.Connection is not { } c) return $"{Connection} has no connection yet (accept pending)";
        var state = CounterNames.Kebab(c.State.ToString());
        var error = Errors.FirstOrDefault(x => x.Value == c.Error).Key ?? c.Error.ToString();
        if (State is { } s && s != state) return $"{Connection} is {state}" + (c.Error != SocketError.Success ? $" (error {error})" : "");
        if (Error is { } want && Errors[want] != c.Error) return $"{Connection} has error {error}, state {state}";
        return null;
    }

    public override string Describe() =>
        $"tcp connection {Connection}" + (State is { } s ? $" in state {s}" : "") + (Error is { } e ? $" with error {e}" : "");
}
