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
        ["MSG_PEEK"] = 0x2, ["MSG_DONTWAIT"] = 0x40, ["MSG_NOSIGNAL"] = 0x4000,
        ["TCP_ESTABLISHED"] = 1, ["TCP_SYN_SENT"] = 2, ["TCP_SYN_RECV"] = 3, ["TCP_FIN_WAIT1"] = 4, ["TCP_FIN_WAIT2"] = 5,
        ["TCP_TIME_WAIT"] = 6, ["TCP_CLOSE"] = 7, ["TCP_CLOSE_WAIT"] = 8, ["TCP_LAST_ACK"] = 9, ["TCP_LISTEN"] = 10, ["TCP_CLOSING"] = 11,
        ["EPERM"] = 1, ["ENOENT"] = 2, ["EINTR"] = 4, ["EBADF"] = 9, ["EAGAIN"] = 11, ["EWOULDBLOCK"] = 11, ["ENOMEM"] = 12,
        ["EFAULT"] = 14, ["EINVAL"] = 22, ["EPIPE"] = 32, ["ENOTSOCK"] = 88, ["ENOPROTOOPT"] = 92, ["EOPNOTSUPP"] = 95,
        ["EADDRINUSE"] = 98, ["EADDRNOTAVAIL"] = 99, ["ENETUNREACH"] = 101, ["ECONNABORTED"] = 103, ["ECONNRESET"] = 104,
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
