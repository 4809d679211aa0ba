using CancellationToken = System.Threading.CancellationToken;
using CancellationTokenRegistration = System.Threading.CancellationTokenRegistration;
using Netstack.Time;

namespace Netstack.Api;

/// <summary>Cancellation of an application call completed through a plain task (connect, accept, receive, ping)
/// through its <see cref="CancellationToken"/>; stream reads and writes use
/// <see cref="LoopCompletionSource{T}.CancelWith"/>.</summary>
internal static class CallCancellation
{
    /// <summary>Runs <paramref name="cancel"/> when <paramref name="token"/> is cancelled, until
    /// <paramref name="call"/> completes: the registration is disposed then, so a long-lived token does not collect
    /// one callback per call.</summary>
    public static void Register(Task call, CancellationToken token, Action cancel)
    {
        var registration = token.Register(cancel);
        call.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Like <see cref="Register(Task, CancellationToken, Action)"/>, running <paramref name="cancel"/> on
    /// <paramref name="loop"/>'s thread, where the call's state lives.</summary>
    public static void RegisterOnLoop(Task call, CancellationToken token, IScheduler loop, Action cancel) =>
        Register(call, token, () => loop.RunOnLoop(cancel));
}
