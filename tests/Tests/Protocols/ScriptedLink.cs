using Netstack.Link;
using Netstack.Simulation.Loop;
using Netstack.Time;

namespace Netstack.Tests.Protocols;

/// <summary>A frame the stack put on the link, and when.</summary>
public sealed record SentFrame(Instant Time, byte[] Bytes)
{
    public PacketDotNet.EthernetPacket Parse() =>
        (PacketDotNet.EthernetPacket)PacketDotNet.Packet.ParsePacket(PacketDotNet.LinkLayers.Ethernet, Bytes);

    public T Extract<T>() where T : PacketDotNet.Packet =>
        Parse().Extract<T>() ?? throw new InvalidOperationException($"frame at {Time} has no {typeof(T).Name}: {Parse()}");
}

/// <summary>A fake device for packet-trace tests: records every transmitted frame with the virtual time it
/// was sent, and delivers frames the test scripts at chosen virtual times.</summary>
public sealed class ScriptedLink(VirtualEventLoop loop, int mtu = 1500) : ILink
{
    private IFrameReceiver? _receiver;

    public int Mtu => mtu;
    public List<SentFrame> Sent { get; } = new();
    /// <summary>Off for allocation measurements: frames are then only counted, not copied.</summary>
    public bool Recording { get; set; } = true;
    public long FramesTransmitted { get; private set; }

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        FramesTransmitted++;
        if (Recording) Sent.Add(new SentFrame(loop.Now, frame.ToArray()));
    }

    public void Attach(IFrameReceiver receiver) => _receiver = receiver;

    /// <summary>Delivers <paramref name="frame"/> to the stack when the loop reaches <paramref name="at"/>.</summary>
    public void InjectAt(Instant at, byte[] frame) => loop.Schedule(at, new Injection(this, frame), 0);

    private sealed class Injection(ScriptedLink link, byte[] frame) : IScheduledAction
    {
        public void Run(long token) => link._receiver!.ReceiveFrame(frame);
    }
}
