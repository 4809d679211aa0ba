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

    public bool Matches(ReadOnlySpan<byte> frame) => _program is null || _program.Matches(frame);

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
