using System.Net.Sockets;
using Netstack.Transport.Tcp;

namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>The Linux values of the symbols scripts write (<c>O_NONBLOCK</c>, <c>POLLOUT</c>, <c>ECONNREFUSED</c>,
/// <c>TCP_ESTABLISHED</c>), and how our stack's errors and states map onto them.</summary>
public static class PosixSymbols
{
    private static readonly Dictionary<string, long> Values = new(StringComparer.Ordinal)
    {
        ["AF_INET"] = 2, ["SOCK_STREAM"] = 1, ["SOCK_DGRAM"] = 2, ["IPPROTO_TCP"] = 6, ["IPPROTO_UDP"] = 17, ["IPPROTO_IP"] = 0,
        ["SOL_SOCKET"] = 1, ["SOL_TCP"] = 6,
        ["O_RDONLY"] = 0, ["O_WRONLY"] = 1, ["O_RDWR"] = 2, ["O_NONBLOCK"] = 0x800,
        ["F_GETFL"] = 3, ["F_SETFL"] = 4,
        ["SHUT_RD"] = 0, ["SHUT_WR"] = 1, ["SHUT_RDWR"] = 2,
        ["POLLIN"] = 0x1, ["POLLPRI"] = 0x2, ["POLLOUT"] = 0x4, ["POLLERR"] = 0x8, ["POLLHUP"] = 0x10, ["POLLNVAL"] = 0x20,
        ["POLLRDNORM"] = 0x40, ["POLLWRNORM"] = 0x100, ["POLLRDHUP"] = 0x2000,
        ["MSG_OOB"] = 0x1, ["MSG_PEEK"] = 0x2, ["MSG_TRUNC"] = 0x20, ["MSG_DONTWAIT"] = 0x40, ["MSG_EOR"] = 0x80,
        ["MSG_WAITALL"] = 0x100, ["MSG_NOSIGNAL"] = 0x4000, ["MSG_MORE"] = 0x8000, ["MSG_ZEROCOPY"] = 0x4000000,
        ["MSG_FASTOPEN"] = 0x20000000,
        ["SOL_IP"] = 0, ["SOL_IPV6"] = 41,
        // Socket options by their Linux numbers (the level is the script's own argument).
        ["SO_DEBUG"] = 1, ["SO_REUSEADDR"] = 2, ["SO_TYPE"] = 3, ["SO_ERROR"] = 4, ["SO_DONTROUTE"] = 5, ["SO_BROADCAST"] = 6,
        ["SO_SNDBUF"] = 7, ["SO_RCVBUF"] = 8, ["SO_KEEPALIVE"] = 9, ["SO_OOBINLINE"] = 10, ["SO_PRIORITY"] = 12,
        ["SO_LINGER"] = 13, ["SO_REUSEPORT"] = 15, ["SO_RCVLOWAT"] = 18, ["SO_SNDLOWAT"] = 19, ["SO_MARK"] = 36,
        ["SO_MAX_PACING_RATE"] = 47, ["SO_ZEROCOPY"] = 60,
        ["TCP_NODELAY"] = 1, ["TCP_MAXSEG"] = 2, ["TCP_CORK"] = 3, ["TCP_KEEPIDLE"] = 4, ["TCP_KEEPINTVL"] = 5,
        ["TCP_KEEPCNT"] = 6, ["TCP_SYNCNT"] = 7, ["TCP_LINGER2"] = 8, ["TCP_DEFER_ACCEPT"] = 9, ["TCP_WINDOW_CLAMP"] = 10,
        ["TCP_INFO"] = 11, ["TCP_QUICKACK"] = 12, ["TCP_CONGESTION"] = 13, ["TCP_THIN_LINEAR_TIMEOUTS"] = 16,
        ["TCP_THIN_DUPACK"] = 17, ["TCP_USER_TIMEOUT"] = 18, ["TCP_FASTOPEN"] = 23, ["TCP_TIMESTAMP"] = 24,
        ["TCP_NOTSENT_LOWAT"] = 25, ["TCP_FASTOPEN_CONNECT"] = 30, ["TCP_FASTOPEN_KEY"] = 33, ["TCP_FASTOPEN_NO_COOKIE"] = 34,
        ["TCP_INQ"] = 36, ["TCP_TX_DELAY"] = 37,
        ["IP_TOS"] = 1, ["IP_TTL"] = 2, ["IP_MTU_DISCOVER"] = 10, ["IP_RECVERR"] = 11, ["IP_FREEBIND"] = 15,
        ["TCPI_OPT_TIMESTAMPS"] = 1, ["TCPI_OPT_SACK"] = 2, ["TCPI_OPT_WSCALE"] = 4, ["TCPI_OPT_ECN"] = 8,
        ["TCPI_OPT_ECN_SEEN"] = 16, ["TCPI_OPT_SYN_DATA"] = 32, ["TCPI_OPT_USEC_TS"] = 64, ["TCPI_OPT_TFO_CHILD"] = 128, ["TCP_CA_Open"] = 0, ["TCP_CA_Disorder"] = 1,
        ["TCP_CA_CWR"] = 2, ["TCP_CA_Recovery"] = 3, ["TCP_CA_Loss"] = 4,
        ["IP_PMTUDISC_DONT"] = 0, ["IP_PMTUDISC_WANT"] = 1, ["IP_PMTUDISC_DO"] = 2, ["IP_PMTUDISC_PROBE"] = 3,
        ["TCP_ESTABLISHED"] = 1, ["TCP_SYN_SENT"] = 2, ["TCP_SYN_RECV"] = 3, ["TCP_FIN_WAIT1"] = 4, ["TCP_FIN_WAIT2"] = 5,
        ["TCP_TIME_WAIT"] = 6, ["TCP_CLOSE"] = 7, ["TCP_CLOSE_WAIT"] = 8, ["TCP_LAST_ACK"] = 9, ["TCP_LISTEN"] = 10, ["TCP_CLOSING"] = 11,
        ["EPERM"] = 1, ["ENOENT"] = 2, ["EINTR"] = 4, ["EBADF"] = 9, ["EAGAIN"] = 11, ["EWOULDBLOCK"] = 11, ["ENOMEM"] = 12,
        ["EACCES"] = 13, ["EFAULT"] = 14, ["EINVAL"] = 22, ["EPIPE"] = 32, ["ENOTSOCK"] = 88, ["EDESTADDRREQ"] = 89, ["EMSGSIZE"] = 90, ["EPROTOTYPE"] = 91, ["ENOBUFS"] = 105, ["ENOPROTOOPT"] = 92, ["EOPNOTSUPP"] = 95,
        ["EAFNOSUPPORT"] = 97, ["EADDRINUSE"] = 98, ["EADDRNOTAVAIL"] = 99, ["ENETUNREACH"] = 101, ["ECONNABORTED"] = 103, ["ECONNRESET"] = 104,
        ["EISCONN"] = 106, ["ENOTCONN"] = 107, ["ETIMEDOUT"] = 110, ["ECONNREFUSED"] = 111, ["EHOSTUNREACH"] = 113,
        ["EALREADY"] = 114, ["EINPROGRESS"] = 115,
    };

    public static bool TryValue(string name, out long value) => Values.TryGetValue(name, out value);

    public static long Value(string name) => Values[name];

    /// <summary>The errno name of a Linux errno number.</summary>
    public static string? ErrnoName(long number) =>
        Values.FirstOrDefault(v => v.Key.StartsWith('E') && v.Key != "EWOULDBLOCK" && v.Value == number).Key;

    /// <summary>The errno a failed connection reports (read, write, SO_ERROR), Linux's choice for each cause.</summary>
    public static string? Errno(SocketError error) => error switch
    {
        SocketError.Success => null,
        SocketError.ConnectionRefused => "ECONNREFUSED",
        SocketError.ConnectionReset => "ECONNRESET",
        SocketError.TimedOut => "ETIMEDOUT",
        SocketError.HostUnreachable => "EHOSTUNREACH",
        SocketError.NetworkUnreachable => "ENETUNREACH",
        SocketError.ConnectionAborted => "ECONNABORTED",
        SocketError.Shutdown => "EPIPE",
        SocketError.AddressAlreadyInUse => "EADDRINUSE",
        SocketError.NotConnected => "ENOTCONN",
        SocketError.WouldBlock => "EAGAIN",
        _ => "EIO",
    };

    /// <summary>Linux's tcpi_state for an RFC 9293 state.</summary>
    public static string TcpInfoState(TcpState state) => state switch
    {
        TcpState.Established => "TCP_ESTABLISHED",
        TcpState.SynSent => "TCP_SYN_SENT",
        TcpState.SynReceived => "TCP_SYN_RECV",
        TcpState.FinWait1 => "TCP_FIN_WAIT1",
        TcpState.FinWait2 => "TCP_FIN_WAIT2",
        TcpState.TimeWait => "TCP_TIME_WAIT",
        TcpState.CloseWait => "TCP_CLOSE_WAIT",
        TcpState.LastAck => "TCP_LAST_ACK",
        TcpState.Listen => "TCP_LISTEN",
        TcpState.Closing => "TCP_CLOSING",
        _ => "TCP_CLOSE",
    };
}
