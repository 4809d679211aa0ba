using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>One ACK's delivery-rate sample (draft-cheng-iccrg-delivery-rate-estimation, "rs").</summary>
public struct RateSample
{
    /// <summary>The ACK delivered at least one segment: <see cref="PriorDelivered"/> is meaningful.</summary>
    public bool HasData;
    /// <summary><see cref="DeliveryRate"/> holds a sample.</summary>
    public bool IsValid;
    /// <summary>C.delivered when the newest delivered segment was sent (BBR counts round trips with it).</summary>
    public long PriorDelivered;
    /// <summary>Bytes delivered over <see cref="Interval"/>.</summary>
    public long Delivered;
    /// <summary>The longer of the send and the ACK interval.</summary>
    public Duration Interval;
    /// <summary>Bytes per second.</summary>
    public double DeliveryRate;
    /// <summary>The newest delivered segment left while the sender was application-limited.</summary>
    public bool IsAppLimited;
    /// <summary>The newest delivered segment's round trip, if it was not retransmitted (<see cref="HasRtt"/>).</summary>
    public Duration Rtt;
    /// <summary><see cref="Rtt"/> is a valid sample.</summary>
    public bool HasRtt;
}
