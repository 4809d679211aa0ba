using System.Runtime.InteropServices;

namespace Netstack.Harness.Linux;

/// <summary>Runs the calling thread (the real-time loop's) under SCHED_FIFO while a real-wire run plays, so a machine
/// busy with other work (builds, other tests) does not deschedule it for longer than packetdrill's 4 ms tolerance:
/// a runnable real-time thread preempts every ordinary one. The loop sleeps in epoll between events, and the
/// kernel's real-time throttling (sched_rt_runtime_us) keeps a share of every second for the rest of the machine.
/// SCHED_RESET_ON_FORK: the commands the run starts (ip, sh, python3) are ordinary processes again. Without the
/// privilege (not root) it does nothing; <see cref="Raised"/> says which.</summary>
public sealed partial class LoopThreadScheduling : IDisposable
{
    private const int SchedOther = 0, SchedFifo = 1, SchedResetOnFork = 0x40000000;

    /// <summary>Low among real-time priorities: above every ordinary thread, below the kernel's own threaded IRQs (50).</summary>
    private const int Priority = 10;

    public bool Raised { get; }

    private LoopThreadScheduling(bool raised) => Raised = raised;

    public static LoopThreadScheduling Raise()
    {
        if (!OperatingSystem.IsLinux()) return new LoopThreadScheduling(false);
        int priority = Priority;
        return new LoopThreadScheduling(SetScheduler(0, SchedFifo | SchedResetOnFork, ref priority) == 0);
    }

    public void Dispose()
    {
        if (!Raised) return;
        int priority = 0;
        SetScheduler(0, SchedOther, ref priority);
    }

    // pid 0: the calling thread (sched_setscheduler acts on a thread id on Linux).
    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SetScheduler(int pid, int policy, ref int priority);
}
