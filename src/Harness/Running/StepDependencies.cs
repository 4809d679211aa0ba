using Netstack.Harness.Steps;

namespace Netstack.Harness.Running;

/// <summary>What a step opens (a connection, a listener, a bound socket) and what it uses, so that after a step
/// failed the steps that needed what it would have opened are reported as not run instead of failing again for
/// the same reason.</summary>
internal static class StepDependencies
{
    public static string? Opens(Step step) => step switch
    {
        TcpConnectStep c => Connection(c.Name),
        TcpAcceptStep a => Connection(a.Name),
        TcpListenStep l => $"the listener {l.Socket}",
        UdpBindStep b => $"the socket {b.Socket}",
        _ => null,
    };

    public static string? Uses(Step step) => step switch
    {
        TcpAcceptStep a => $"the listener {a.Listener}",
        TcpSendStep s => Connection(s.Connection),
        TcpCloseStep c => Connection(c.Connection),
        TcpReadingStep r => Connection(r.Connection),
        TcpReceiveExpectation r => Connection(r.Connection),
        TcpStateExpectation s => Connection(s.Connection),
        UdpReceiveExpectation r => $"the socket {r.Socket}",
        UdpErrorExpectation e => $"the socket {e.Socket}",
        _ => null,
    };

    private static string Connection(string name) => $"the connection {name}";
}
