using Netstack.Drivers.Segments;

namespace Netstack.Tests.Protocols;

/// <summary>PacketDotNet views of frames a stack sent, for assertions.</summary>
public static class TransmittedFrameDecoding
{
    public static PacketDotNet.EthernetPacket Parse(this TransmittedFrame frame) =>
        (PacketDotNet.EthernetPacket)PacketDotNet.Packet.ParsePacket(PacketDotNet.LinkLayers.Ethernet, frame.Bytes);

    public static T Extract<T>(this TransmittedFrame frame) where T : PacketDotNet.Packet =>
        frame.Parse().Extract<T>() ?? throw new InvalidOperationException($"frame at {frame.Time} has no {typeof(T).Name}: {frame.Parse()}");
}
