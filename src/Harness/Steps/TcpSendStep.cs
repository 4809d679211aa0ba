using Netstack.Harness.Running;

namespace Netstack.Harness.Steps;

/// <summary><c>tcp-send: { conn: c, data: hello }</c>: writes bytes to a connection's stream.</summary>
public sealed class TcpSendStep : ActionStep
{
    public required string Connection { get; init; }
    public required Payload Data { get; init; }

    public override void Run(ScenarioRun run) => run.Tcp(Connection).Send(Data.Bytes);

    public override string Describe() => $"tcp-send on {Connection}, {Data}";
}
