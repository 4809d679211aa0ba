using Netstack.Drivers.Loops;
using Netstack.Time;

namespace Netstack.Tests.Tcp;

/// <summary>Drives a virtual loop while code on other threads (thread-pool continuations of HttpClient,
/// which uses ConfigureAwait(false)) posts work onto it. Virtual time must not jump while such work is
/// in flight, or timers would fire "during" a computation that takes no virtual time. The stack's API
/// posts through this scheduler; whenever the loop has nothing due now, the driver waits briefly (real
/// time) for a post before it advances the clock to the next event.</summary>
public sealed class CrossThreadDriver : IScheduler
{
    private readonly VirtualEventLoop _loop;
    private readonly SemaphoreSlim _posted = new(0);

    public CrossThreadDriver(VirtualEventLoop loop) => _loop = loop;

    /// <summary>How long the loop waits for another thread to post before it lets virtual time move.</summary>
    public Duration Quiescence { get; init; } = Duration.FromMilliseconds(50);

    public Instant Now => _loop.Now;
    public bool IsOnLoopThread => _loop.IsOnLoopThread;
    public void Schedule(Instant due, IScheduledAction action, long token) => _loop.Schedule(due, action, token);

    public void Post(Action callback)
    {
        _loop.Post(callback);
        _posted.Release();
    }

    /// <summary>Runs until <paramref name="done"/> holds; false if virtual time passed
    /// <paramref name="virtualLimit"/> or nothing at all happened for <paramref name="realLimit"/>.</summary>
    public bool Drive(Func<bool> done, Duration virtualLimit, Duration realLimit)
    {
        var limit = _loop.Now + virtualLimit;
        var idleSince = DateTime.UtcNow;
        while (!done())
        {
            _loop.RunUntil(_loop.Now);
            if (done()) return true;
            if (_posted.Wait(Quiescence.ToTimeSpan()))
            {
                idleSince = DateTime.UtcNow;
                continue;
            }
            if (_loop.NextDue is not { } next)
            {
                if (Duration.FromTimeSpan(DateTime.UtcNow - idleSince) > realLimit) return false;
                continue;
            }
            if (next > limit) return false;
            _loop.RunUntil(next);
        }
        return true;
    }
}
