using Netstack.Link;
using Netstack.Time;

namespace Netstack.Drivers.Segments;

/// <summary>A frame a stack put on a <see cref="ScriptedLink"/>, and when (by the link's clock).</summary>
public readonly record struct TransmittedFrame(Instant Time, byte[] Bytes);

/// <summary>A link whose far end is a script: a test or tool injects frames (now, or at a chosen time on the
/// loop) and reads what the stack transmitted from <see cref="Sent"/> or a callback. Used by packet-trace
/// tests, the fuzzer and replay.</summary>
public sealed class ScriptedLink(IScheduler? clock = null, int mtu = 1500) : ILink
{
    private IFrameReceiver? _receiver;

    public int Mtu { get; } = mtu;

    /// <summary>Called with a copy of each transmitted frame; when set, frames are not kept in <see cref="Sent"/>.</summary>
    public Action<ReadOnlyMemory<byte>>? OnTransmit { get; set; }

    /// <summary>Frames the stack sent, oldest first, timestamped by the clock given (zero without one).</summary>
    public List<TransmittedFrame> Sent { get; } = new();

    /// <summary>When false, transmitted frames are only counted (fuzzing, floods, allocation measurements).</summary>
    public bool Recording { get; set; } = true;

    public long FramesTransmitted { get; private set; }

    public void Attach(IFrameReceiver receiver) => _receiver = receiver;

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        FramesTransmitted++;
        if (OnTransmit is { } callback) callback(frame.ToArray());
        else if (Recording) Sent.Add(new TransmittedFrame(clock?.Now ?? Instant.Zero, frame.ToArray()));
    }

    /// <summary>Hands a frame to the stack as if it arrived now.</summary>
    public void Inject(ReadOnlySpan<byte> frame) =>
        (_receiver ?? throw new InvalidOperationException("no stack is attached to this link")).ReceiveFrame(frame);

    /// <summary>Delivers <paramref name="frame"/> to the stack when the clock reaches <paramref name="at"/>.</summary>
    public void InjectAt(Instant at, byte[] frame) =>
        (clock ?? throw new InvalidOperationException("InjectAt needs a ScriptedLink made with a clock"))
            .Schedule(at, new Injection(this, frame), 0);

    private sealed class Injection(ScriptedLink link, byte[] frame) : IScheduledAction
    {
        public void Run(long token) => link.Inject(frame);
    }
}
