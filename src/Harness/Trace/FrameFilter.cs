using System.Runtime.InteropServices;
using SharpPcap;
using SharpPcap.LibPcap;
using Netstack.Drivers.Capture;

namespace Netstack.Harness.Trace;

/// <summary>A tcpdump filter expression compiled by libpcap for Ethernet frames. Compile once, match many.</summary>
public sealed class FrameFilter : IDisposable
{
    private readonly BpfProgram? _program;

    private FrameFilter(string expression, BpfProgram? program)
    {
        Expression = expression;
        _program = program;
    }

    public string Expression { get; }

    /// <summary>Compiles <paramref name="expression"/>; an empty expression matches every frame.
    /// Throws <see cref="FormatException"/> with libpcap's message when it does not compile.</summary>
    public static FrameFilter Compile(string expression)
    {
        if (string.IsNullOrWhiteSpace(expression)) return new FrameFilter("", null);
        try
        {
            var program = LibpcapGuard.Run(() => BpfProgram.Create(PacketDotNet.LinkLayers.Ethernet, expression, 1, 0));
            return new FrameFilter(expression, program);
        }
        catch (PcapException e)
        {
            throw new FormatException(e.Message.Trim());
        }
    }

    /// <summary>Runs the program over <paramref name="frame"/>. libpcap is called directly with the packet header on
    /// the stack: SharpPcap's BpfProgram.Matches allocates and frees native memory for the header on every call, which
    /// was a visible share of judging a scenario (every recorded frame against every expectation's filter).</summary>
    public unsafe bool Matches(ReadOnlySpan<byte> frame)
    {
        if (_program is null) return true;
        var header = new PacketHeader { CaptureLength = (uint)frame.Length, Length = (uint)frame.Length };
        bool added = false;
        try
        {
            _program.DangerousAddRef(ref added);
            fixed (byte* bytes = frame)
                return OfflineFilter(_program.DangerousGetHandle(), &header, bytes) != 0;
        }
        finally
        {
            if (added) _program.DangerousRelease();
        }
    }

    /// <summary>struct pcap_pkthdr: a struct timeval (two longs on LP64 Linux), caplen, len.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PacketHeader
    {
        public nint Seconds;
        public nint Microseconds;
        public uint CaptureLength;
        public uint Length;
    }

    [DllImport("libpcap.so.0.8", EntryPoint = "pcap_offline_filter")]
    private static extern unsafe int OfflineFilter(nint program, PacketHeader* header, byte* packet);

    public void Dispose() => _program?.Dispose();
}

/// <summary>The filters of one scenario, each distinct expression compiled once.</summary>
public sealed class FrameFilterCache : IDisposable
{
    private readonly Dictionary<string, FrameFilter> _filters = new(StringComparer.Ordinal);

    public FrameFilter Get(string expression)
    {
        if (!_filters.TryGetValue(expression, out var f))
            _filters[expression] = f = FrameFilter.Compile(expression);
        return f;
    }

    public void Dispose()
    {
        foreach (var f in _filters.Values) f.Dispose();
        _filters.Clear();
    }
}
