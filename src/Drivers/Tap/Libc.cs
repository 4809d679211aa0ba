using System.Runtime.InteropServices;

namespace Netstack.Drivers.Tap;

/// <summary>The few Linux system calls the live driver needs (TUN/TAP, epoll, eventfd, timerfd), called
/// directly: .NET's Socket and FileStream add threads and copies this loop must not have.</summary>
internal static unsafe class Libc
{
    private const string Lib = "libc";

    public const int O_RDWR = 0x2;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ENOBUFS = 105;

    public const uint EPOLLIN = 0x1;
    public const uint EPOLLERR = 0x8;
    public const uint EPOLLHUP = 0x10;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;

    public const int AF_INET = 2;
    public const int SOCK_DGRAM = 2;

    public const int CLOCK_THREAD_CPUTIME_ID = 3;

    [DllImport(Lib, EntryPoint = "clock_gettime")]
    public static extern int ClockGetTime(int clock, out TimeSpec time);

    [DllImport(Lib, EntryPoint = "open", SetLastError = true)]
    public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);

    [DllImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static extern nint Read(int fd, byte* buffer, nint count);

    [DllImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static extern nint Write(int fd, byte* buffer, nint count);

    [DllImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static extern int Ioctl(int fd, nuint request, void* argument);

    [DllImport(Lib, EntryPoint = "socket", SetLastError = true)]
    public static extern int Socket(int domain, int type, int protocol);

    [DllImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    public static extern int EventFd(uint initial, int flags);

    [DllImport(Lib, EntryPoint = "epoll_create1", SetLastError = true)]
    public static extern int EpollCreate1(int flags);

    [DllImport(Lib, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static extern int EpollCtl(int epfd, int op, int fd, void* ev);

    [DllImport(Lib, EntryPoint = "epoll_wait", SetLastError = true)]
    public static extern int EpollWait(int epfd, void* events, int maxEvents, int timeoutMs);

    public const int CLOCK_MONOTONIC = 1;
    public const int TFD_TIMER_ABSTIME = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct ITimerSpec
    {
        public TimeSpec Interval;
        public TimeSpec Value;
    }

    [DllImport(Lib, EntryPoint = "timerfd_create", SetLastError = true)]
    public static extern int TimerFdCreate(int clockId, int flags);

    [DllImport(Lib, EntryPoint = "timerfd_settime", SetLastError = true)]
    public static extern int TimerFdSetTime(int fd, int flags, ITimerSpec* newValue, ITimerSpec* oldValue);

    [DllImport(Lib, EntryPoint = "geteuid")]
    public static extern uint GetEuid();

    [DllImport(Lib, EntryPoint = "strerror")]
    private static extern nint StrError(int errno);

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => Marshal.PtrToStringUTF8(StrError(errno)) ?? $"errno {errno}";
}
