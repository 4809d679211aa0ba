using Netstack.Link;

namespace Netstack.Simulation.Wire;

/// <summary>A link whose far end is a script: the test or tool injects frames with <see cref="Inject"/>
/// and reads what the stack transmitted from <see cref="Transmitted"/> (or a callback).</summary>
public sealed class ScriptedLink(int mtu = 1500) : ILink
{
    private IFrameReceiver? _receiver;

    public int Mtu { get; } = mtu;

    /// <summary>Called for each transmitted frame; when null, frames are kept in <see cref="Transmitted"/>.</summary>
    public Action<ReadOnlyMemory<byte>>? OnTransmit { get; set; }

    /// <summary>Frames the stack sent, oldest first (only when no <see cref="OnTransmit"/> is set).</summary>
    public List<byte[]> Transmitted { get; } = new();

    /// <summary>Counts transmitted frames even when they are not kept.</summary>
    public long TransmitCount { get; private set; }

    /// <summary>When false, transmitted frames are only counted (for fuzzing and floods).</summary>
    public bool KeepTransmitted { get; set; } = true;

    public void Attach(IFrameReceiver receiver) => _receiver = receiver;

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        TransmitCount++;
        if (OnTransmit is { } callback) callback(frame.ToArray());
        else if (KeepTransmitted) Transmitted.Add(frame.ToArray());
    }

    /// <summary>Hands a frame to the stack as if it arrived now.</summary>
    public void Inject(ReadOnlySpan<byte> frame) =>
        (_receiver ?? throw new InvalidOperationException("no stack is attached to this link")).ReceiveFrame(frame);
}
