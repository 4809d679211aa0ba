using Netstack.Harness.Running;

namespace Netstack.Harness.Steps;

/// <summary><c>tcp-close: c</c> sends a FIN after the data of earlier <c>tcp-send</c> steps (shutdown of the send side; reading goes on);
/// <c>tcp-abort: c</c> resets the connection (RST).</summary>
public sealed class TcpCloseStep : ActionStep
{
    public required string Connection { get; init; }
    public bool Abort { get; init; }

    public override void Run(ScenarioRun run)
    {
        var endpoint = run.Tcp(Connection);
        if (Abort) endpoint.Abort();
        else endpoint.Close();
    }

    public override string Describe() => $"tcp-{(Abort ? "abort" : "close")} {Connection}";
}
