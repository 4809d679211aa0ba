using Netstack.Harness.Running;

namespace Netstack.Harness.Steps;

/// <summary><c>tcp-stop-reading: s</c>: the application stops reading the connection, so arriving data fills its
/// receive buffer and the advertised window closes; <c>tcp-resume-reading: s</c> reads what is waiting and goes on
/// reading (the window opens again). Connections are read by default.</summary>
public sealed class TcpReadingStep : ActionStep
{
    public required string Connection { get; init; }
    public bool Reading { get; init; }

    public override void Run(ScenarioRun run)
    {
        var endpoint = run.Tcp(Connection);
        endpoint.Reading = Reading;
        endpoint.Poll();
    }

    public override string Describe() => $"tcp-{(Reading ? "resume" : "stop")}-reading {Connection}";
}
