using Netstack.Drivers.Tap;
using Netstack.Time;

namespace Netstack.Drivers.Loops;

/// <summary>The CPU time the calling thread has used (Linux's per-thread clock): on a machine shared with other work
/// it says what a thread cost, where its wall time says how long it waited for a core.</summary>
public static class ThreadCpuTime
{
    /// <summary>The calling thread's CPU time so far; zero where the clock is not available.</summary>
    public static Duration Now() =>
        Libc.ClockGetTime(Libc.CLOCK_THREAD_CPUTIME_ID, out var t) == 0
            ? Duration.FromNanoseconds(t.Seconds * Duration.NanosecondsPerSecond + t.Nanoseconds)
            : Duration.Zero;
}
