using Netstack.Harness.Running;

namespace Netstack.Harness.Steps;

/// <summary><c>tcp-send: { conn: c, data: hello }</c>: writes bytes to a connection's stream.</summary>
public sealed class TcpSendStep : ActionStep
{
    public required string Connection { get; init; }
    public required Payload Data { get; init; }

    public override void Run(ScenarioRun run)
    {
        var endpoint = run.Tcp(Connection);
        if (endpoint.Stream is { } stream)
        {
            var write = stream.WriteAsync(Data.Bytes);
            if (write.IsFaulted) throw new StepFailedException(write.AsTask().Exception!.InnerException!.Message);
            return;
        }
        if (endpoint.Connection is not { } c) throw new StepFailedException($"{Connection} has not been accepted yet");
        int n = c.Send(Data.Bytes); // queued until the handshake completes
        if (n != Data.Bytes.Length) throw new StepFailedException($"only {n} of {Data.Bytes.Length} bytes fit the send buffer before the connection was up");
    }

    public override string Describe() => $"tcp-send on {Connection}, {Data}";
}
