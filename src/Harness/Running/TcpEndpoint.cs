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

    /// <summary>Completes when every write a step asked for has been taken by the stream (a write larger than the
    /// send buffer waits for ACKs). Later writes and a close queue behind it, as an application awaiting each
    /// call would issue them.</summary>
    public Task Writes { get; private set; } = Task.CompletedTask;

    /// <summary>Runs <paramref name="next"/> now if nothing is pending, otherwise once pending writes are done.
    /// The wait is an await under the loop's synchronization context, so <paramref name="next"/> runs on the loop
    /// thread, in loop order, and the run stays deterministic (a thread-pool continuation would race the loop).</summary>
    public void AfterWrites(Func<Task> next, Netstack.Time.IScheduler loop)
    {
        if (Writes.IsCompleted)
        {
            Writes = next();
            return;
        }
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(new Netstack.Simulation.Loop.LoopSynchronizationContext(loop));
        try
        {
            Writes = Then(Writes, next);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private static async Task Then(Task before, Func<Task> next)
    {
        try
        {
            await before;
        }
        catch (Exception)
        {
            // A failed write ends the chain: the stream reports the failure to whatever comes next.
        }
        await next();
    }

    /// <summary>False while the application has stopped reading (<c>tcp-stop-reading</c>): received data stays in
    /// the connection's receive buffer and the window it advertises shrinks.</summary>
    public bool Reading { get; set; } = true;

    /// <summary>The stream once established (tasks complete on the loop thread, so checking is deterministic).</summary>
    public TcpStream? Stream => Opening is { IsCompletedSuccessfully: true } t ? t.Result : null;

    /// <summary>Resolves an accepted connection and, while reading, pulls readable bytes into <see cref="Received"/>.</summary>
    public void Poll()
    {
        if (Connection is null && Stream is { } s) Connection = s.Connection;
        if (Connection is not { } c || !Reading) return;
        // One read of everything waiting, as an application with a large buffer does: the stack then sends at
        // most one window update, not one per small read.
        while (c.BytesToRead > 0)
        {
            var chunk = new byte[c.BytesToRead];
            int n = c.Receive(chunk);
            if (n == 0) break;
            Received.AddRange(n == chunk.Length ? chunk : chunk[..n]);
        }
    }
}
