using Netstack.Buffers;
using Netstack.Diagnostics;
using Netstack.Wire;

namespace Netstack.Link;

/// <summary>Ethernet II: accepts frames for our MAC and broadcast, pads short frames on send.</summary>
public sealed class Ethernet
{
    private readonly NetworkInterface _iface;
    private readonly StackCounters _counters;

    internal Ethernet(NetworkInterface iface)
    {
        _iface = iface;
        _counters = iface.Stack.Counters;
    }

    /// <summary>Handles one received frame: counts it, drops (and counts) truncated frames, frames for other MACs and
    /// unknown EtherTypes, and hands ARP, IPv4 and (where enabled) IPv6 payloads up.</summary>
    /// <param name="bytes">The frame from the destination MAC on, without FCS; valid only during the call.</param>
    /// <param name="transportChecksumVerified">The device vouches for the TCP/UDP checksum (see
    /// <see cref="IFrameReceiver.ReceiveFrame(ReadOnlySpan{byte}, bool)"/>).</param>
    public void Receive(ReadOnlySpan<byte> bytes, bool transportChecksumVerified = false)
    {
        _counters.FramesReceived++;
        _counters.BytesReceived += bytes.Length;
        var frame = new EthernetFrame(bytes);
        if (!frame.IsComplete)
        {
            _counters.Drop(DropReason.EthernetTruncated);
            return;
        }
        var destination = frame.Destination;
        if (destination != _iface.Mac && !destination.IsBroadcast && !(_iface.Ipv6 is { } v6 && v6.ListensTo(destination)))
        {
            _counters.Drop(DropReason.EthernetNotForUs);
            return;
        }
        switch (frame.EtherType)
        {
            case EtherType.Arp:
                _iface.Arp.Receive(frame.Payload);
                break;
            case EtherType.Ipv4:
                _iface.Stack.Ipv4.Receive(frame.Payload, _iface, transportChecksumVerified);
                break;
            case EtherType.Ipv6 when _iface.Ipv6 is not null:
                _iface.Stack.Ipv6.Receive(frame.Payload, _iface, transportChecksumVerified, destination.IsMulticast);
                break;
            default:
                _counters.Drop(DropReason.EthernetUnknownType);
                break;
        }
    }

    /// <summary>Prepends the Ethernet header, pads to the 60-byte minimum, transmits, and releases
    /// <paramref name="packet"/>.</summary>
    public void Send(PacketBuffer packet, MacAddress destination, EtherType type)
    {
        EthernetFrame.WriteHeader(packet.Prepend(EthernetFrame.HeaderLength), destination, _iface.Mac, type);
        if (packet.Length < EthernetFrame.MinimumLength)
            packet.Append(EthernetFrame.MinimumLength - packet.Length).Clear();
        _counters.FramesSent++;
        _counters.BytesSent += packet.Length;
        _iface.Link.Transmit(packet.Span);
        packet.Dispose();
    }
}
