namespace Netstack.Transport.Tcp;

/// <summary>The congestion control a connection runs: NewReno (RFC 5681, RFC 6582), CUBIC (RFC 9438) or BBR
/// (draft-cardwell-iccrg-bbr-congestion-control). <see cref="ICongestionController.Create"/> builds the one
/// chosen.</summary>
public enum CongestionAlgorithm
{
    /// <summary>RFC 5681 congestion avoidance with RFC 6582 fast recovery: ssthresh halves on loss.</summary>
    NewReno,
    /// <summary>RFC 9438: cubic window growth after loss, reduction by β = 0.7.</summary>
    Cubic,
    /// <summary>BBR v1: window and pacing rate from the measured bottleneck bandwidth and minimum RTT; loss is not
    /// taken as a congestion signal beyond the lost bytes themselves.</summary>
    Bbr,
}
