using Netstack.Api;
using Netstack.Transport.Tcp;

namespace Netstack.Harness.Running;

/// <summary>A TCP connection a scenario named (<c>as: c1</c>): the connecting or accepting side, its stream once
/// the connect or accept completed, and the bytes received but not yet matched by an expectation.</summary>
public sealed class TcpEndpoint(string name, string host)
{
    public string Name { get; } = name;
    public string Host { get; } = host;
    /// <summary>Known from the start for an active open; for an accept, once a connection is handed over.</summary>
    public TcpConnection? Connection { get; set; }
    public Task<TcpStream>? Opening { get; set; }
    public List<byte> Received { get; } = new();

    /// <summary>The stream once established (tasks complete on the loop thread, so checking is deterministic).</summary>
    public TcpStream? Stream => Opening is { IsCompletedSuccessfully: true } t ? t.Result : null;

    /// <summary>Resolves an accepted connection and pulls readable bytes into <see cref="Received"/>.</summary>
    public void Poll()
    {
        if (Connection is null && Stream is { } s) Connection = s.Connection;
        if (Connection is not { } c) return;
        Span<byte> chunk = stackalloc byte[4096];
        int n;
        while ((n = c.Receive(chunk)) > 0)
            for (int i = 0; i < n; i++) Received.Add(chunk[i]);
    }
}
