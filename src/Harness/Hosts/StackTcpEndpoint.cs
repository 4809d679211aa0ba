using System.Net.Sockets;
using Netstack.Api;
using Netstack.Harness.Running;
using Netstack.Harness.Steps;
using Netstack.Transport.Tcp;

namespace Netstack.Harness.Hosts;

/// <summary>A named TCP connection on one of our stacks: the connecting or accepting side, and its stream once the
/// connect or accept completed. Writes, shutdown and abort go through the public <see cref="TcpStream"/>. The
/// connection itself is read where the public API has nothing yet: its RFC 9293 state and error, the bytes
/// waiting (NetworkStream's DataAvailable), and the connection of a connect still in progress (which has no
/// stream). Everything runs on the loop thread, so the run stays deterministic.</summary>
public sealed class StackTcpEndpoint(string name, string host, Netstack.Time.IScheduler loop) : TcpEndpoint(name, host)
{
    /// <summary>Known from the start for an active open; for an accept, once a connection is handed over.</summary>
    public TcpConnection? Connection { get; set; }
    public Task<TcpStream>? Opening { get; set; }

    public override bool HasConnection => Connection is not null;
    public override bool IsReceiveFinished => Connection is { IsReceiveFinished: true };
    public override bool IsClosed => Connection is { State: TcpState.Closed };
    public override TcpState? State => Connection?.State;
    public override SocketError Error => Connection?.Error ?? SocketError.Success;
    public override string Status => Connection is not { } c ? "not accepted yet"
        : CounterNames.Kebab(c.State.ToString()) + (c.Error != SocketError.Success ? $", {c.Error}" : "");

    public override void Send(byte[] data)
    {
        if (Stream is { } stream)
        {
            if (!Writes.IsCompleted)
            {
                AfterWrites(() => stream.WriteAsync(data).AsTask());
                return;
            }
            var write = stream.WriteAsync(data);
            if (write.IsFaulted) throw new StepFailedException(write.AsTask().Exception!.InnerException!.Message);
            AfterWrites(write.AsTask);
            return;
        }
        if (Connection is not { } c) throw new StepFailedException($"{Name} has not been accepted yet");
        int n = c.Send(data); // queued until the handshake completes
        if (n != data.Length) throw new StepFailedException($"only {n} of {data.Length} bytes fit the send buffer before the connection was up");
    }

    public override void Close()
    {
        if (Connection is not { } c) throw new StepFailedException($"{Name} has not been accepted yet");
        AfterWrites(() =>
        {
            // FIN after the data of earlier sends, even the part still waiting for buffer space. Before the
            // handshake completed there is no stream yet: the public API has no socket for a connect in progress.
            if (Stream is { } stream) stream.ShutdownSend();
            else c.Close();
            return Task.CompletedTask;
        });
    }

    public override void Abort()
    {
        if (Connection is not { } c) throw new StepFailedException($"{Name} has not been accepted yet");
        if (Stream is { } stream) stream.Abort();
        else c.Abort();
    }

    /// <summary>Completes when every write a step asked for has been taken by the stream (a write larger than the
    /// send buffer waits for ACKs). Later writes and a close queue behind it, as an application awaiting each
    /// call would issue them.</summary>
    private Task Writes { get; set; } = Task.CompletedTask;

    /// <summary>Runs <paramref name="next"/> now if nothing is pending, otherwise once pending writes are done.
    /// The wait is an await under the loop's synchronization context, so <paramref name="next"/> runs on the loop
    /// thread, in loop order, and the run stays deterministic (a thread-pool continuation would race the loop).</summary>
    private void AfterWrites(Func<Task> next)
    {
        if (Writes.IsCompleted)
        {
            Writes = next();
            return;
        }
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(new Netstack.Drivers.Loops.LoopSynchronizationContext(loop));
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

    /// <summary>The stream once established (tasks complete on the loop thread, so checking is deterministic).</summary>
    public TcpStream? Stream => Opening is { IsCompletedSuccessfully: true } t ? t.Result : null;

    /// <summary>Resolves an accepted connection and, while reading, pulls readable bytes into <see cref="Received"/>.</summary>
    public override void Poll()
    {
        if (Connection is null && Stream is { } s) Connection = s.Connection;
        if (Connection is not { } c || !Reading) return;
        // One read of everything waiting, as an application with a large buffer does: the stack then sends at
        // most one window update, not one per small read.
        // Straight into the received buffer: no chunk allocated and copied again per poll.
        while (c.BytesToRead is var waiting and > 0)
        {
            int n = c.Receive(Received.FreeSpace(waiting));
            Received.Commit(n);
            if (n == 0) break;
        }
    }
}
