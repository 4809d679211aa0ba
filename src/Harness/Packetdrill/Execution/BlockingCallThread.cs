using System.Collections.Concurrent;

namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>packetdrill's system call thread, for the kernel: a call the script writes blocking (<c>+0...0.020
/// sendto(...)</c>) is made as the real blocking system call here, so the kernel sees a task waiting in it (a
/// blocking sendto(MSG_FASTOPEN) waits for the handshake with <c>sk_write_pending</c> set, which changes how the
/// kernel answers the SYN-ACK) while the script goes on. One call at a time, in order, on one thread made once, so
/// starting a call costs a hand-over, not a thread creation.</summary>
public sealed class BlockingCallThread : IDisposable
{
    private readonly BlockingCollection<Action> _calls = new();
    private readonly Thread _thread;

    public BlockingCallThread()
    {
        // A background thread: a call still blocked when the run is over must not keep the process alive.
        _thread = new Thread(Serve) { IsBackground = true, Name = "packetdrill blocking calls" };
        _thread.Start();
    }

    /// <summary>Starts <paramref name="call"/> on the thread; the task completes with its outcome.</summary>
    public Task<SyscallOutcome> Start(Func<SyscallOutcome> call)
    {
        var done = new TaskCompletionSource<SyscallOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _calls.Add(() =>
        {
            try
            {
                done.SetResult(call());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        return done.Task;
    }

    private void Serve()
    {
        foreach (var call in _calls.GetConsumingEnumerable()) call();
    }

    /// <summary>No more calls; one still blocked in the kernel is left to end with its socket (not waited for).</summary>
    public void Dispose() => _calls.CompleteAdding();
}
