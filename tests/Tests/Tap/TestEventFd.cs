using System.Runtime.InteropServices;

namespace Netstack.Tests.Tap;

/// <summary>An eventfd to stand in for a device descriptor: readable after Signal, until Drain.</summary>
public sealed unsafe class TestEventFd : IDisposable
{
    private const int NonBlockingCloseOnExec = 0x800 | 0x80000;

    [DllImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static extern int EventFd(uint initial, int flags);

    [DllImport("libc", EntryPoint = "read")]
    private static extern nint Read(int fd, void* buffer, nint count);

    [DllImport("libc", EntryPoint = "write")]
    private static extern nint Write(int fd, void* buffer, nint count);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    public TestEventFd()
    {
        Fd = EventFd(0, NonBlockingCloseOnExec);
        if (Fd < 0) throw new IOException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public int Fd { get; }

    public void Signal()
    {
        ulong one = 1;
        Write(Fd, &one, sizeof(ulong));
    }

    public void Drain()
    {
        ulong value;
        Read(Fd, &value, sizeof(ulong));
    }

    public void Dispose() => Close(Fd);
}
