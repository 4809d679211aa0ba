using System.Net.Sockets;
using Netstack.Transport.Tcp;

namespace Netstack.Harness.Running;

/// <summary>A TCP connection a scenario named (<c>as: c1</c>), on whichever host plays its side: our stack
/// (<see cref="Hosts.StackTcpEndpoint"/>) or the Linux kernel (<see cref="LinuxTcpEndpoint"/>). Steps act through
/// this; bytes received and not yet matched by an expectation collect in <see cref="Received"/>.</summary>
public abstract class TcpEndpoint(string name, string host)
{
    public string Name { get; } = name;
    public string Host { get; } = host;
    public ReceivedBytes Received { get; } = new();

    /// <summary>False while the application has stopped reading (<c>tcp-stop-reading</c>): received data stays in
    /// the connection's receive buffer and the window it advertises shrinks.</summary>
    public bool Reading { get; set; } = true;

    /// <summary>True once there is a connection to act on: at once for an active open, after the handover for an accept.</summary>
    public abstract bool HasConnection { get; }

    /// <summary>The peer's FIN arrived and everything before it has been read.</summary>
    public abstract bool IsReceiveFinished { get; }

    /// <summary>The connection is gone (closed, reset, refused, timed out): no more bytes will come.</summary>
    public abstract bool IsClosed { get; }

    /// <summary>The RFC 9293 state, when the host lets us read it (the kernel's is not read).</summary>
    public abstract TcpState? State { get; }

    public abstract SocketError Error { get; }

    /// <summary>The state and error in words, for reports.</summary>
    public abstract string Status { get; }

    /// <summary>Writes after everything earlier steps wrote, as an application awaiting each call would.</summary>
    public abstract void Send(byte[] data);

    /// <summary>FIN after the data of earlier sends (shutdown of the send side; reading goes on).</summary>
    public abstract void Close();

    /// <summary>Resets the connection (RST) at once.</summary>
    public abstract void Abort();

    /// <summary>Brings <see cref="Received"/> and the connection's state up to date.</summary>
    public abstract void Poll();
}
