using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Netstack.Cli.Live;

/// <summary>The directory `--serve http:PORT:DIR` serves. A URL path names a file only if, with every
/// symlink resolved, it is a regular file inside the directory: links out of it, FIFOs, devices and
/// sockets are not found. Opening and reading block (a disk, an NFS mount), so callers run them on the
/// thread pool, never on the event loop.</summary>
public sealed class WebRoot
{
    private readonly string _real;

    public WebRoot(string directory)
    {
        var full = Path.GetFullPath(directory);
        _real = Native.RealPath(full) ?? throw new DirectoryNotFoundException($"'{directory}' does not exist");
    }

    /// <summary>Opens the regular file <paramref name="urlPath"/> names (a directory means its index.html),
    /// or returns null. Blocking: call it off the loop.</summary>
    public ServedFile? Open(string urlPath)
    {
        var candidate = Path.GetFullPath(Path.Combine(_real, urlPath.TrimStart('/')));
        if (!IsInside(candidate)) return null;
        var real = Native.RealPath(candidate);
        if (real is null || !IsInside(real)) return null;
        if (Native.TypeOf(real) == Native.Directory)
        {
            real = Native.RealPath(Path.Combine(real, "index.html"));
            if (real is null || !IsInside(real)) return null;
        }
        // Look before opening, so a device is never opened (opening one can have effects); look again at
        // what was opened, in case the name was swapped in between. O_NONBLOCK keeps a FIFO from blocking open.
        if (Native.TypeOf(real) != Native.Regular) return null;
        int fd = Native.Open(real, Native.O_RDONLY | Native.O_NONBLOCK | Native.O_NOCTTY | Native.O_CLOEXEC);
        if (fd < 0) return null;
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (!Native.TryStat(handle, out int type, out long size) || type != Native.Regular)
        {
            handle.Dispose();
            return null;
        }
        return new ServedFile(handle, size, real);
    }

    private bool IsInside(string path) =>
        path == _real || path.StartsWith(_real.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static class Native
    {
        public const int O_RDONLY = 0, O_NOCTTY = 0x100, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
        public const int Regular = 0x8000, Directory = 0x4000, Unknown = -1;
        private const int AtFdCwd = -100, AtEmptyPath = 0x1000, StatxType = 0x1, StatxSize = 0x200;
        private const int StatxModeOffset = 28, StatxSizeOffset = 40, StatxLength = 256;

        [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
        private static extern nint RealPathNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, nint resolved);

        [DllImport("libc", EntryPoint = "free")]
        private static extern void Free(nint pointer);

        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        // statx's layout is the same on every architecture, unlike struct stat's.
        [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
        private static extern int Statx(int dirFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags,
            uint mask, byte[] buffer);

        [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
        private static extern int Statx(SafeFileHandle fd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path,
            int flags, uint mask, byte[] buffer);

        public static string? RealPath(string path)
        {
            if (path.Contains('\0')) return null;
            nint resolved = RealPathNative(path, 0);
            if (resolved == 0) return null;
            try
            {
                return Marshal.PtrToStringUTF8(resolved);
            }
            finally
            {
                Free(resolved);
            }
        }

        /// <summary>The S_IFMT bits of a path (symlinks followed), or Unknown.</summary>
        public static int TypeOf(string path)
        {
            var buffer = new byte[StatxLength];
            return Statx(AtFdCwd, path, 0, StatxType, buffer) == 0 ? Mode(buffer) : Unknown;
        }

        public static bool TryStat(SafeFileHandle handle, out int type, out long size)
        {
            var buffer = new byte[StatxLength];
            bool ok = Statx(handle, "", AtEmptyPath, StatxType | StatxSize, buffer) == 0;
            type = ok ? Mode(buffer) : Unknown;
            size = ok ? BitConverter.ToInt64(buffer, StatxSizeOffset) : 0;
            return ok;
        }

        private static int Mode(byte[] statx) => BitConverter.ToUInt16(statx, StatxModeOffset) & 0xF000;
    }
}

/// <summary>An opened regular file and the length it had when opened (the Content-Length promised).</summary>
public sealed class ServedFile(SafeFileHandle handle, long length, string path) : IDisposable
{
    public SafeFileHandle Handle { get; } = handle;
    public long Length { get; } = length;
    public string Path { get; } = path;

    public void Dispose() => Handle.Dispose();
}
