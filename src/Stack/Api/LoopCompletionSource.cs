using System.Threading.Tasks.Sources;
using CancellationToken = System.Threading.CancellationToken;
using CancellationTokenRegistration = System.Threading.CancellationTokenRegistration;
using Netstack.Time;

namespace Netstack.Api;

/// <summary>The completion of one stream read or write whose continuation always runs on the event loop, posted
/// after the current event, whatever the awaiter asked: BCL helpers such as <see cref="Stream.ReadAtLeastAsync"/> and
/// <see cref="Stream.ReadExactlyAsync(Memory{byte}, CancellationToken)"/> await with <c>ConfigureAwait(false)</c>, and
/// a <see cref="TaskCompletionSource"/> would resume them on the thread pool, off the loop and outside virtual time.
/// Like a TaskCompletionSource, completing it more than once is ignored.</summary>
internal sealed class LoopCompletionSource<T> : IValueTaskSource<T>, IValueTaskSource
{
    private readonly IScheduler _loop;
    private ManualResetValueTaskSourceCore<T> _core; // RunContinuationsAsynchronously off: OnCompleted posts instead
    private CancellationTokenRegistration _registration;

    public LoopCompletionSource(IScheduler loop) => _loop = loop;

    // Read by the thread that registers for cancellation while the loop may be completing the operation.
    private volatile bool _completed;

    public bool IsCompleted => _completed;

    /// <summary>The result as a <see cref="ValueTask{T}"/> (one await, as for any source-backed ValueTask).</summary>
    public ValueTask<T> Task => new(this, _core.Version);

    /// <summary>The completion alone, for a write.</summary>
    public ValueTask TaskWithoutResult => new(this, _core.Version);

    /// <summary>Completes with a cancellation when <paramref name="token"/> fires, running <paramref name="onCancel"/>
    /// on the loop first; the registration is dropped once the operation completes either way.</summary>
    public void CancelWith(CancellationToken token, Action onCancel)
    {
        if (!token.CanBeCanceled) return;
        _registration = token.Register(() => _loop.RunOnLoop(() =>
        {
            onCancel();
            TrySetCanceled(token);
        }));
        if (_completed) _registration.Dispose(); // completed meanwhile, before it could drop the registration
    }

    public bool TrySetResult(T result)
    {
        if (!TryComplete()) return false;
        _core.SetResult(result);
        return true;
    }

    public bool TrySetException(Exception exception)
    {
        if (!TryComplete()) return false;
        _core.SetException(exception);
        return true;
    }

    /// <summary>Marks the operation completed and drops its cancellation registration; false when it already was.</summary>
    private bool TryComplete()
    {
        if (_completed) return false;
        _completed = true;
        _registration.Dispose();
        return true;
    }

    public bool TrySetCanceled(CancellationToken token) => TrySetException(new TaskCanceledException(null, null, token));

    T IValueTaskSource<T>.GetResult(short token) => _core.GetResult(token);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        // The loop is the one scheduling context for stream completions, whatever the awaiter asked. Posting also keeps
        // application code out of protocol processing. An awaiter that did not ask for its context (ConfigureAwait(false),
        // or a Task made of this one by Stream.ReadAsync(byte[], ...)) runs with none installed, as it asked; that is
        // also what lets such a Task run its own awaiter inline, on the loop.
        var loop = _loop;
        if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0)
            _core.OnCompleted(_ => loop.Post(() => continuation(state)), null, token, ValueTaskSourceOnCompletedFlags.None);
        else
            _core.OnCompleted(_ => loop.Post(() => LoopResumption.WithoutSynchronizationContext(() => continuation(state))),
                null, token, ValueTaskSourceOnCompletedFlags.None);
    }
}
