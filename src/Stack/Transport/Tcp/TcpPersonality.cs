namespace Netstack.Transport.Tcp;

/// <summary>A named set of TCP defaults (<see cref="TcpSettings.ForPersonality"/>): the RFCs' choices, or those of
/// the Linux or FreeBSD stack as their documentation states and their traffic shows. docs/personalities.md lists
/// every value and its source.</summary>
public enum TcpPersonality
{
    /// <summary>The RFCs where they decide (RFC 6298 1 s minimum RTO, RFC 5681 initial window, NewReno), this
    /// stack's long-standing defaults elsewhere.</summary>
    Rfc,
    /// <summary>Linux (6.x): ip-sysctl.rst and tcp(7) defaults and behaviour measured on the kernel over a tap.</summary>
    Linux,
    /// <summary>FreeBSD (14.x): tcp(4) and sysctl defaults, and the option layout freebsd-net/tcp-testsuite
    /// expects of it.</summary>
    FreeBsd,
}
