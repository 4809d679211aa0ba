using System.Runtime.InteropServices;

namespace Netstack.Drivers.Tap;

/// <summary>An epoll instance watching file descriptors for readability. Hides that struct
/// epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16 bytes) elsewhere.</summary>
internal sealed unsafe class Epoll : IDisposable
{
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct PackedEvent
    {
        public uint Events;
        public ulong Data;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct AlignedEvent
    {
        public uint Events;
        public ulong Data;
    }

    private static readonly bool Packed = RuntimeInformation.ProcessArchitecture == Architecture.X64;
    private const int MaxEvents = 16;

    private readonly int _fd;
    private readonly byte[] _events = new byte[MaxEvents * 16];

    public Epoll()
    {
        _fd = Libc.EpollCreate1(Libc.O_CLOEXEC);
        if (_fd < 0) throw new IOException($"epoll_create1: {Libc.Describe(Libc.LastError)}");
    }

    /// <summary>Watches <paramref name="fd"/> for input; <paramref name="token"/> comes back from Wait.</summary>
    public void Add(int fd, ulong token)
    {
        int rc;
        if (Packed)
        {
            var ev = new PackedEvent { Events = Libc.EPOLLIN, Data = token };
            rc = Libc.EpollCtl(_fd, Libc.EPOLL_CTL_ADD, fd, &ev);
        }
        else
        {
            var ev = new AlignedEvent { Events = Libc.EPOLLIN, Data = token };
            rc = Libc.EpollCtl(_fd, Libc.EPOLL_CTL_ADD, fd, &ev);
        }
        if (rc < 0) throw new IOException($"epoll_ctl(ADD, {fd}): {Libc.Describe(Libc.LastError)}");
    }

    public void Remove(int fd) => Libc.EpollCtl(_fd, Libc.EPOLL_CTL_DEL, fd, null);

    /// <summary>Blocks up to <paramref name="timeoutMs"/> (-1: forever) and fills
    /// <paramref name="tokens"/> with the tokens of ready descriptors; returns how many. A signal
    /// interrupting the wait counts as zero ready.</summary>
    public int Wait(Span<ulong> tokens, int timeoutMs)
    {
        int n;
        fixed (byte* p = _events)
        {
            n = Libc.EpollWait(_fd, p, Math.Min(tokens.Length, MaxEvents), timeoutMs);
            if (n < 0)
            {
                int errno = Libc.LastError;
                if (errno == Libc.EINTR) return 0;
                throw new IOException($"epoll_wait: {Libc.Describe(errno)}");
            }
            for (int i = 0; i < n; i++)
                tokens[i] = Packed ? ((PackedEvent*)p)[i].Data : ((AlignedEvent*)p)[i].Data;
        }
        return n;
    }

    public void Dispose() => Libc.Close(_fd);
}
