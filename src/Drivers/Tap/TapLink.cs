using System.Text;
using Netstack.Link;

namespace Netstack.Drivers.Tap;

/// <summary>A Linux TAP device as an <see cref="ILink"/>: every frame the kernel sends out of the tap
/// interface is read here and handed to the stack, and every frame the stack transmits is written back,
/// so the kernel sees our stack as a host on the other end of a cable. Attaches to an existing tap
/// (made with `ip tuntap add`) or creates a transient one. The descriptor is non-blocking and read when
/// the <see cref="RealTimeEventLoop"/> reports it readable; frames are delivered on the loop thread.</summary>
public sealed unsafe class TapLink : ILink, IReadableHandler, IDisposable
{
    private const string TunPath = "/dev/net/tun";
    private const int IfNameSize = 16;
    private const int IfReqSize = 40;
    private const nuint TUNSETIFF = 0x400454CA;
    private const nuint SIOCGIFFLAGS = 0x8913;
    private const nuint SIOCSIFFLAGS = 0x8914;
    private const nuint SIOCGIFMTU = 0x8921;
    private const short IFF_TAP = 0x0002;
    private const short IFF_NO_PI = 0x1000;
    private const short IFF_UP = 0x1;
    private const short IFF_VNET_HDR = 0x4000;
    private const nuint TUNSETOFFLOAD = 0x400454D0;
    private const nuint TUN_F_CSUM = 0x01;
    private const nuint TUN_F_TSO4 = 0x02;
    /// <summary>struct virtio_net_hdr: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset.</summary>
    private const int VnetHeaderLength = 10;
    private const byte VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
    private const byte VIRTIO_NET_HDR_F_DATA_VALID = 2;
    private const int MaxOffloadFrame = 65535 + EthernetHeaderLength;
    private const int EthernetHeaderLength = 14;
    /// <summary>Frames read per readiness report before timers get a turn.</summary>
    private const int ReadBudget = 256;
    /// <summary>Bytes read per readiness report with offload: with TSO frames of 64 KB, 256 frames would be 16 MB, a whole
    /// window taken in before the application reads any of it and before any ACK goes back (the sender idles, and
    /// the data has left the cache by the time it is read). Two TSO frames per turn: the application reads and the
    /// ACK goes back every 128 KB, and a turn's data stays within a core's L2. Against half a megabyte, 1 GiB TSO
    /// transfers alternating in one run (10 rounds each, load 1.5): median 13.05 vs 10.83 and 12.33 vs 11.33
    /// Gbit/s, with less CPU per GiB on both sides (the Linux sender 0.64-0.67 vs 0.73-0.76 s, ours 0.46 vs
    /// 0.50 s).</summary>
    private const int OffloadReadByteBudget = 128 * 1024;
    /// <summary>Without offload the frame budget comes first (256 frames of at most 1514 bytes): as many as the
    /// coalescer can join per turn. With 128 KB here too (87 such frames) three `bench --tap --quick` runs gave
    /// `tap-vs-veth-ratio` 1.05-1.10 (main beside them 1.04-1.25); with 512 KB kept, 1.25-1.34 (main 1.11-1.40).</summary>
    private const int ReadByteBudget = 512 * 1024;
    private readonly int _readByteBudget;

    private readonly RealTimeEventLoop _loop;
    private readonly int _fd;
    private readonly byte[] _readBuffer;
    private readonly byte[]? _writeBuffer;
    private readonly TcpSegmentCoalescer? _coalescer;
    private IFrameReceiver? _receiver;
    private bool _disposed;
    private readonly bool _completeChecksums;

    /// <param name="loop">The real-time loop that reads the tap when it is readable and runs the stack.</param>
    /// <param name="name">The tap interface to open (created if it does not exist).</param>
    /// <param name="mtu">Largest IP packet; defaults to the tap interface's MTU as the kernel reports it.</param>
    /// <param name="offload">Use virtio-net headers and let the kernel hand us TCP segments of up to 64 KB
    /// with the checksum left to us (TSO/checksum offload): fewer, larger frames. The link completes the
    /// checksum before the stack sees the frame, so the stack still gets ordinary (if large) frames.</param>
    /// <param name="coalesce">Join consecutive TCP segments of a flow read in one drain of the device into one
    /// large segment (<see cref="TcpSegmentCoalescer"/>, Linux's GRO): for an end host whose stack then runs and
    /// acknowledges once per batch. Off where every frame must reach the receiver as the kernel sent it (a peer
    /// in a scenario, a forwarder). Without offload only: with it the kernel already sends large segments.</param>
    /// <param name="completeChecksums">With offload: fill in the transport checksum the kernel left partial, so every
    /// frame is valid for whoever records or forwards it. An end host nobody records may skip it: it is a pass over
    /// every byte (9% of the live host's CPU in a TSO transfer), and the stack trusts the kernel's own frames
    /// either way.</param>
    public TapLink(RealTimeEventLoop loop, string name, int? mtu = null, bool offload = false, bool coalesce = false,
        bool completeChecksums = true)
    {
        ValidateName(name);
        _loop = loop;
        _completeChecksums = completeChecksums;
        Name = name;
        Offload = offload;
        Created = !Directory.Exists($"/sys/class/net/{name}");
        _fd = OpenTap(name, offload);
        try
        {
            if (offload && Libc.Ioctl(_fd, TUNSETOFFLOAD, (void*)(TUN_F_CSUM | TUN_F_TSO4)) < 0)
                throw new TapUnavailableException(TapFailure.Other,
                    $"tap {name}: the kernel refused checksum/TSO offload: {Libc.Describe(Libc.LastError)}");
            int kernelMtu = QueryMtu(name) ?? 1500;
            Mtu = mtu ?? kernelMtu;
            KernelMtu = kernelMtu;
            BroughtUp = EnsureUp(name);
            _readBuffer = offload ? new byte[VnetHeaderLength + MaxOffloadFrame] : new byte[Mtu + EthernetHeaderLength];
            _writeBuffer = offload ? new byte[VnetHeaderLength + MaxOffloadFrame] : null;
            _readByteBudget = offload ? OffloadReadByteBudget : ReadByteBudget;
            if (coalesce && !offload) _coalescer = new TcpSegmentCoalescer();
            loop.Watch(_fd, this);
        }
        catch
        {
            Libc.Close(_fd);
            throw;
        }
    }

    public string Name { get; }
    public int Mtu { get; }
    /// <summary>The MTU of the kernel's side of the tap when we attached.</summary>
    public int KernelMtu { get; }
    /// <summary>True when no device of this name existed, so the tap lives only as long as this link.</summary>
    public bool Created { get; }
    /// <summary>True when the interface was down and this link set it up.</summary>
    public bool BroughtUp { get; }
    public bool Offload { get; }

    public long FramesRead { get; private set; }
    /// <summary>Frames joined into the segment before them by receive coalescing (0 without it).</summary>
    public long FramesCoalesced => _coalescer?.SegmentsJoined ?? 0;
    public long FramesWritten { get; private set; }
    public long WriteErrors { get; private set; }
    public int LastWriteError { get; private set; }

    public void Attach(IFrameReceiver receiver) => _receiver = receiver;

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        if (_writeBuffer is not null)
        {
            // An all-zero virtio-net header: a complete frame, checksums done, no segmentation.
            frame.CopyTo(_writeBuffer.AsSpan(VnetHeaderLength));
            fixed (byte* w = _writeBuffer)
            {
                if (Libc.Write(_fd, w, VnetHeaderLength + frame.Length) < 0)
                {
                    WriteErrors++;
                    LastWriteError = Libc.LastError;
                    return;
                }
            }
            FramesWritten++;
            return;
        }
        fixed (byte* p = frame)
        {
            // A tap write hands the frame to the kernel's receive path at once; it does not block.
            if (Libc.Write(_fd, p, frame.Length) < 0)
            {
                WriteErrors++;
                LastWriteError = Libc.LastError;
                return;
            }
        }
        FramesWritten++;
    }

    void IReadableHandler.OnReadable()
    {
        if (_coalescer is not null && _receiver is { } receiver)
        {
            try
            {
                ReadCoalescing(receiver, _coalescer);
            }
            finally
            {
                _coalescer.Flush(receiver);
            }
            return;
        }
        fixed (byte* p = _readBuffer)
        {
            long bytes = 0;
            for (int i = 0; i < ReadBudget && bytes < _readByteBudget && !_disposed; i++)
            {
                nint n = Libc.Read(_fd, p, _readBuffer.Length);
                if (n <= 0) return; // EAGAIN: drained
                bytes += n;
                FramesRead++;
                if (Offload)
                {
                    if (n < VnetHeaderLength) continue;
                    var frame = new Span<byte>(p + VnetHeaderLength, (int)n - VnetHeaderLength);
                    var vnet = new ReadOnlySpan<byte>(p, VnetHeaderLength);
                    bool verified = _completeChecksums ? CompleteChecksum(vnet, frame)
                        : (vnet[0] & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)) != 0;
                    _receiver?.ReceiveFrame(frame, verified);
                }
                else _receiver?.ReceiveFrame(new ReadOnlySpan<byte>(p, (int)n));
            }
        }
    }

    /// <summary>Reads until the device is drained (or the budget is spent), joining segments; the caller flushes
    /// the last run, so a batch's segments reach the stack before timers run.</summary>
    private void ReadCoalescing(IFrameReceiver receiver, TcpSegmentCoalescer coalescer)
    {
        fixed (byte* p = _readBuffer)
        {
            long bytes = 0;
            for (int i = 0; i < ReadBudget && bytes < _readByteBudget && !_disposed; i++)
            {
                nint n = Libc.Read(_fd, p, _readBuffer.Length);
                if (n <= 0) return; // EAGAIN: drained
                bytes += n;
                FramesRead++;
                coalescer.Add(new ReadOnlySpan<byte>(p, (int)n), receiver);
            }
        }
    }

    /// <summary>With NEEDS_CSUM the kernel left the transport checksum to us: the field holds the
    /// pseudo-header sum, and the checksum covers everything from csum_start (RFC 1071 sum, complemented).
    /// It is completed here so the frame is valid for recorders and forwarding. Returns whether the
    /// transport checksum needs no further check: completed here from data the kernel built itself, or
    /// marked DATA_VALID (already verified by the kernel).</summary>
    private static bool CompleteChecksum(ReadOnlySpan<byte> vnet, Span<byte> frame)
    {
        if ((vnet[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) == 0) return (vnet[0] & VIRTIO_NET_HDR_F_DATA_VALID) != 0;
        int start = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(vnet[6..]);
        int offset = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(vnet[8..]);
        if (start + offset + 2 > frame.Length) return false; // nonsense header: let the stack drop the frame
        ushort sum = Netstack.Wire.Checksum.Compute(frame[start..]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame[(start + offset)..], sum);
        return true;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _loop.Unwatch(_fd);
        Libc.Close(_fd);
    }

    private static void ValidateName(string name)
    {
        if (name.Length == 0 || Encoding.UTF8.GetByteCount(name) >= IfNameSize || name.Contains('/') ||
            name.Any(char.IsWhiteSpace))
            throw new TapUnavailableException(TapFailure.BadName,
                $"'{name}' is not a valid interface name (1-15 characters, no '/' or spaces)");
    }

    private static int OpenTap(string name, bool offload)
    {
        int fd = Libc.Open(TunPath, Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Libc.LastError;
            throw errno switch
            {
                Libc.ENOENT or Libc.ENODEV => new TapUnavailableException(TapFailure.NoTunDevice,
                    $"{TunPath} does not exist: load the tun module (modprobe tun) or give the container the device"),
                Libc.EACCES or Libc.EPERM => new TapUnavailableException(TapFailure.PermissionDenied,
                    $"cannot open {TunPath}: permission denied (run as root or with CAP_NET_ADMIN)"),
                _ => new TapUnavailableException(TapFailure.Other, $"cannot open {TunPath}: {Libc.Describe(errno)}"),
            };
        }
        byte* ifr = stackalloc byte[IfReqSize];
        new Span<byte>(ifr, IfReqSize).Clear();
        Encoding.UTF8.GetBytes(name, new Span<byte>(ifr, IfNameSize - 1));
        *(short*)(ifr + IfNameSize) = (short)(IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0));
        if (Libc.Ioctl(fd, TUNSETIFF, ifr) < 0)
        {
            int errno = Libc.LastError;
            Libc.Close(fd);
            bool exists = Directory.Exists($"/sys/class/net/{name}");
            throw errno switch
            {
                Libc.EBUSY => new TapUnavailableException(TapFailure.Busy,
                    $"tap {name} is busy: another process has it open"),
                Libc.EPERM or Libc.EACCES => new TapUnavailableException(TapFailure.PermissionDenied, exists
                    ? $"not allowed to attach to tap {name}: run as root or as its owner (ip tuntap add ... user NAME)"
                    : $"not allowed to create tap {name}: run as root or with CAP_NET_ADMIN"),
                Libc.EINVAL when exists => new TapUnavailableException(TapFailure.NotATap,
                    $"{name} exists but is not a TAP device"),
                _ => new TapUnavailableException(TapFailure.Other, $"TUNSETIFF {name}: {Libc.Describe(errno)}"),
            };
        }
        return fd;
    }

    private static int? QueryMtu(string name)
    {
        int sock = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM, 0);
        if (sock < 0) return null;
        try
        {
            byte* ifr = stackalloc byte[IfReqSize];
            PrepareIfReq(ifr, name);
            return Libc.Ioctl(sock, SIOCGIFMTU, ifr) < 0 ? null : *(int*)(ifr + IfNameSize);
        }
        finally
        {
            Libc.Close(sock);
        }
    }

    /// <summary>Frames only flow once the kernel's side is up; a tap we create starts down.</summary>
    private static bool EnsureUp(string name)
    {
        int sock = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM, 0);
        if (sock < 0) return false;
        try
        {
            byte* ifr = stackalloc byte[IfReqSize];
            PrepareIfReq(ifr, name);
            if (Libc.Ioctl(sock, SIOCGIFFLAGS, ifr) < 0) return false;
            short flags = *(short*)(ifr + IfNameSize);
            if ((flags & IFF_UP) != 0) return false;
            *(short*)(ifr + IfNameSize) = (short)(flags | IFF_UP);
            if (Libc.Ioctl(sock, SIOCSIFFLAGS, ifr) < 0)
                throw new TapUnavailableException(TapFailure.PermissionDenied,
                    $"tap {name} is down and cannot be set up: {Libc.Describe(Libc.LastError)} (ip link set {name} up)");
            return true;
        }
        finally
        {
            Libc.Close(sock);
        }
    }

    private static void PrepareIfReq(byte* ifr, string name)
    {
        new Span<byte>(ifr, IfReqSize).Clear();
        Encoding.UTF8.GetBytes(name, new Span<byte>(ifr, IfNameSize - 1));
    }

    public override string ToString() => $"tap {Name} mtu {Mtu}";
}
