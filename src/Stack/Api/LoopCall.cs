using Netstack.Time;

namespace Netstack.Api;

/// <summary>Synchronous application calls under the threading contract (<see cref="IScheduler.IsOnLoopThread"/>):
/// inline on the loop thread, else posted and waited for (so the loop must be running, as for a blocking
/// Stream.Read). Exceptions reach the caller as thrown on the loop.</summary>
internal static class LoopCall
{
    public static T Invoke<T>(IScheduler loop, Func<T> call)
    {
        if (loop.IsOnLoopThread) return call();
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(() =>
        {
            try
            {
                tcs.TrySetResult(call());
            }
            catch (Exception e)
            {
                tcs.TrySetException(e);
            }
        });
        return tcs.Task.GetAwaiter().GetResult();
    }
}
