using CancellationToken = System.Threading.CancellationToken;
using SynchronizationContext = System.Threading.SynchronizationContext;
using Netstack.Time;

namespace Netstack.Api;

/// <summary>Hands an API call's pending task to the application so that its awaiter resumes on the event loop,
/// posted after the current event, even under <c>ConfigureAwait(false)</c>: library code written that way must not
/// go on from the thread pool, off the loop and outside virtual time (the rule <see cref="LoopCompletionSource{T}"/>
/// gives stream reads and writes).</summary>
internal static class LoopResumption
{
    /// <summary><paramref name="task"/> itself when already complete (the awaiter goes on synchronously, where it is);
    /// otherwise a task that completes in a later loop event with the same result, exception or cancellation.</summary>
    public static Task<T> ResumeOnLoop<T>(this Task<T> task, IScheduler loop)
    {
        if (task.IsCompleted) return task;
        var resumed = new TaskCompletionSource<T>();
        task.ContinueWith(t => loop.Post(() => Complete(resumed, t)), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return resumed.Task;
    }

    private static void Complete<T>(TaskCompletionSource<T> resumed, Task<T> outcome) => WithoutSynchronizationContext(() =>
    {
        if (outcome.IsCompletedSuccessfully) resumed.TrySetResult(outcome.Result);
        else if (outcome.IsCanceled) resumed.TrySetCanceled(CancellationOf(outcome));
        else resumed.TrySetException(outcome.Exception!.InnerExceptions);
    });

    /// <summary>Runs a completion with no synchronization context installed: a task's <c>ConfigureAwait(false)</c>
    /// continuation is run inline only there, and the loop installs its own, so without this the awaiter would be
    /// queued to the thread pool. Context-capturing awaiters post to the loop's context either way.</summary>
    public static void WithoutSynchronizationContext(Action complete)
    {
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            complete();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    private static CancellationToken CancellationOf(Task task)
    {
        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException e)
        {
            return e.CancellationToken;
        }
        return CancellationToken.None;
    }
}
