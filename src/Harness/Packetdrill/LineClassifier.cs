namespace Netstack.Harness.Packetdrill;

/// <summary>Decides, line by line, whether our stack can execute what a script asks for, and if not, says why in
/// words a user can act on. The lists are what the stack and the runner model today; widen them as they grow.
/// With <c>onKernel</c> (<c>--wire tap</c>: the Linux kernel is the local host) the question is what the runner can
/// hand to the kernel: any socket option it knows the number of, every TCP_INFO field, Fast Open, send flags, ECN.</summary>
public static class LineClassifier
{
    private static readonly HashSet<string> ModelledCalls =
    [
        "socket", "bind", "listen", "accept", "connect", "fcntl", "read", "recv", "recvfrom", "write", "send", "sendto",
        "shutdown", "close", "poll", "setsockopt", "getsockopt",
    ];

    private static readonly HashSet<string> ModelledSocketOptions =
    [
        "SO_REUSEADDR", "SO_LINGER", "SO_RCVBUF", "SO_SNDBUF", "SO_ERROR", "TCP_NODELAY", "TCP_MAXSEG", "TCP_INFO",
    ];

    /// <summary>TCP_INFO fields the runner can fill from our stack's connection state.</summary>
    public static readonly IReadOnlySet<string> ModelledTcpInfoFields = new HashSet<string>
    {
        "tcpi_state", "tcpi_snd_mss", "tcpi_rcv_mss", "tcpi_snd_cwnd", "tcpi_snd_ssthresh", "tcpi_rto", "tcpi_rtt",
        "tcpi_options", "tcpi_snd_wscale", "tcpi_rcv_wscale", "tcpi_unacked",
    };

    private static readonly HashSet<string> ModelledMessageFlags = ["0", "MSG_PEEK", "MSG_DONTWAIT", "MSG_NOSIGNAL"];

    /// <summary>Options the runner can set on one socket through our API; the others are stack-wide settings.</summary>
    private static readonly HashSet<string> SettableSocketOptions = ["SO_REUSEADDR", "SO_LINGER", "TCP_NODELAY"];

    private static readonly HashSet<string> AppliedOptions =
        ["tolerance_usecs", "tolerance_percent", "local_ip", "remote_ip", "gateway_ip", "mss", "mtu", "bind_port", "connect_port", "strict_segments"];

    /// <summary>Message flags the kernel path passes to send(2)/recv(2) as they are.</summary>
    private static readonly HashSet<string> KernelMessageFlags =
        ["0", "MSG_PEEK", "MSG_DONTWAIT", "MSG_NOSIGNAL", "MSG_EOR", "MSG_MORE", "MSG_FASTOPEN", "MSG_ZEROCOPY", "MSG_TRUNC", "MSG_WAITALL"];

    public static LineSupport Option(HeaderOption option) => option.Name switch
    {
        "ip_version" when Execution.ScriptAddresses.VersionOf(option.Value) is not null => LineSupport.Yes,
        "ip_version" => LineSupport.No($"--ip_version={option.Value} is not one of packetdrill's (ipv4, ipv4-mapped-ipv6, ipv6)"),
        _ when AppliedOptions.Contains(option.Name) => LineSupport.Yes,
        _ when !option.Known => LineSupport.No($"--{option.Name} is not a packetdrill option"),
        _ => LineSupport.No($"--{option.Name} is not applied by our runner"),
    };

    /// <param name="version">The script's <c>--ip_version</c>: which ICMP names, socket domain and IP fields apply.</param>
    public static LineSupport Event(EventAction action, bool onKernel = false, Execution.ScriptIpVersion version = Execution.ScriptIpVersion.Ipv4) => action switch
    {
        ShellCommand => new LineSupport(SupportLevel.KernelOnly, "shell commands run only next to the Linux kernel (--wire tap)"),
        PythonBlock => new LineSupport(SupportLevel.Skipped, "Python %{ }% assertions run on the tap wire (against the kernel's TCP_INFO); on our stack they are reported as skipped"),
        TcpPacketLine tcp => Tcp(tcp, onKernel, version),
        UdpPacketLine udp => Ip(udp.Direction, udp.Ip, onKernel, version) ?? LineSupport.Yes,
        IcmpPacketLine icmp => Icmp(icmp, onKernel, version),
        SyscallLine call => SocketDomain(call, version) ?? (onKernel ? KernelSyscall(call) : Syscall(call)),
        _ => LineSupport.No($"{action.GetType().Name} is not understood by the runner"),
    };

    /// <summary>packetdrill's sockets are of the script's family (AF_INET6 under ipv6 and ipv4-mapped-ipv6); a
    /// socket() naming the other one would fail its bind/connect there, which the runner does not model.</summary>
    private static LineSupport? SocketDomain(SyscallLine call, Execution.ScriptIpVersion version)
    {
        if (call.Name != "socket" || call.Argument(0) is not WordExpr { Name: "AF_INET" or "AF_INET6" } domain) return null;
        string expected = version == Execution.ScriptIpVersion.Ipv4 ? "AF_INET" : "AF_INET6";
        return domain.Name == expected ? null
            : LineSupport.No($"socket domain {domain.Name} under --ip_version={(version == Execution.ScriptIpVersion.Ipv4 ? "ipv4" : version == Execution.ScriptIpVersion.Ipv6 ? "ipv6" : "ipv4-mapped-ipv6")}: the script's sockets are {expected} (write ... to take the script's)");
    }

    private static LineSupport? Ip(PacketDirection direction, IpModifiers? ip, bool onKernel, Execution.ScriptIpVersion version)
    {
        if (ip is null) return null;
        if (ip.FlowLabel is not null && version != Execution.ScriptIpVersion.Ipv6) return LineSupport.No("a flow label is an IPv6 field; the script's packets are IPv4 (--ip_version=ipv6 for IPv6)");
        if (onKernel) return null; // the kernel's ECN codepoint and TOS are compared as they come
        if (direction == PacketDirection.Outbound && ip.Ecn is not (null or "noecn"))
            return LineSupport.No($"expects ECN codepoint {ip.Ecn} on an outgoing packet: our stack does not set ECN (RFC 3168)");
        if (direction == PacketDirection.Outbound && ip.Tos is > 0)
            return LineSupport.No($"expects TOS 0x{ip.Tos:x} on an outgoing packet: our stack sends TOS 0");
        return null;
    }

    private static LineSupport Tcp(TcpPacketLine line, bool onKernel, Execution.ScriptIpVersion version)
    {
        if (line.UdpEncapsulation is not null) return LineSupport.No("TCP over UDP encapsulation is not implemented");
        if (Ip(line.Direction, line.Ip, onKernel, version) is { } ip) return ip;
        var segment = line.Segment;
        if (!onKernel && line.Direction == PacketDirection.Outbound && (segment.Flags.Ece || segment.Flags.Cwr))
            return LineSupport.No($"expects ECE/CWR ({segment.Flags}) from our stack, which does not negotiate ECN (RFC 3168)");
        if (segment.Flags.Urg || segment.Urgent is > 0) return LineSupport.No("urgent data (URG) is not implemented");
        foreach (var option in segment.Options.Items)
            if (option.UnsupportedReason is { } reason && !(onKernel && option.KernelRuns)) return LineSupport.No(reason);
        return LineSupport.Yes;
    }

    private static LineSupport Icmp(IcmpPacketLine line, bool onKernel, Execution.ScriptIpVersion version)
    {
        if (Ip(line.Direction, line.Ip, onKernel, version) is { } ip) return ip;
        bool v6 = version == Execution.ScriptIpVersion.Ipv6;
        if (!Execution.IcmpMessageNames.Knows(line.Type, v6))
            return LineSupport.No($"ICMP type '{line.Type}' is not an {(v6 ? "ICMPv6" : "ICMPv4")} message our runner builds");
        if (line.Quoted?.UdpEncapsulation is not null) return LineSupport.No("TCP over UDP encapsulation is not implemented");
        return LineSupport.Yes;
    }

    private static LineSupport Syscall(SyscallLine call)
    {
        if (!ModelledCalls.Contains(call.Name))
            return LineSupport.No($"system call {call.Name}() is not modelled");
        switch (call.Name)
        {
            case "socket":
                if (SocketProblem(call, "modelled") is { } socketProblem) return socketProblem;
                break;
            case "setsockopt" or "getsockopt":
                if (call.Argument(2) is WordExpr option && !ModelledSocketOptions.Contains(option.Name))
                    return LineSupport.No($"socket option {option.Name} is not modelled");
                if (call.Name == "setsockopt" && call.Argument(2) is WordExpr set && !SettableSocketOptions.Contains(set.Name))
                    return LineSupport.No($"setsockopt {set.Name}: our stack's API sets it per stack, not per socket");
                if (call.Name == "getsockopt" && call.Argument(2) is WordExpr get && get.Name is not ("SO_ERROR" or "TCP_INFO" or "SO_RCVBUF" or "SO_SNDBUF"))
                    return LineSupport.No($"getsockopt {get.Name} is not modelled (SO_ERROR, TCP_INFO, SO_RCVBUF, SO_SNDBUF are)");
                if (call.Argument(2) is WordExpr { Name: "TCP_INFO" } && call.Argument(3) is StructExpr info &&
                    TcpInfoProblem(info, ModelledTcpInfoFields, "is not modelled") is { } infoProblem)
                    return infoProblem;
                break;
            case "fcntl":
                if (FcntlProblem(call, "modelled") is { } fcntlProblem) return fcntlProblem;
                break;
            case "send" or "sendto" or "recv" or "recvfrom":
                if (FlagNotIn(call, ModelledMessageFlags) is { } flag) return LineSupport.No($"{call.Name}() flag {flag} is not modelled");
                break;
        }
        return LineSupport.Yes;
    }
    private static LineSupport? SocketProblem(SyscallLine call, string typeVerb)
    {
        if (call.Argument(0) is WordExpr { Name: not ("AF_INET" or "AF_INET6") } domain)
            return LineSupport.No($"socket domain {domain.Name} is not {typeVerb} (AF_INET and AF_INET6 are)");
        if (call.Argument(1) is WordExpr { Name: not ("SOCK_STREAM" or "SOCK_DGRAM") } type)
            return LineSupport.No($"socket type {type.Name} is not {typeVerb} (SOCK_STREAM and SOCK_DGRAM are)");
        return null;
    }

    /// <summary>The TCP_INFO fields a script names that are not in <paramref name="known"/>, as why the line is not run;
    /// null when all are.</summary>
    private static LineSupport? TcpInfoProblem(StructExpr info, IReadOnlySet<string> known, string notKnown)
    {
        var missing = info.Items.OfType<FieldExpr>().Select(f => f.Name).Where(n => n is not null && !known.Contains(n)).ToList();
        return missing.Count > 0 ? LineSupport.No($"TCP_INFO field {string.Join(", ", missing)} {notKnown}") : null;
    }

    /// <summary>The fcntl commands the runner handles (on our stack and on the kernel alike): F_GETFL and F_SETFL.</summary>
    private static LineSupport? FcntlProblem(SyscallLine call, string verb) =>
        call.Argument(1) is WordExpr { Name: not ("F_GETFL" or "F_SETFL") } command
            ? LineSupport.No($"fcntl command {command.Name} is not {verb} (F_GETFL and F_SETFL are)")
            : null;

    /// <summary>The first send/recv flag of the call that is not in <paramref name="allowed"/>, or null.</summary>
    private static string? FlagNotIn(SyscallLine call, HashSet<string> allowed)
    {
        var flags = call.Argument(3);
        foreach (var flag in flags is BitOrExpr or ? or.Terms : flags is null ? [] : [flags])
            if (flag is WordExpr or IntegerExpr && !allowed.Contains(flag.ToString())) return flag.ToString();
        return null;
    }

    /// <summary>What the runner can hand to the kernel: the calls it runs on real sockets, socket options by their
    /// Linux numbers (an integer or a string value; SO_LINGER's struct), every TCP_INFO field, send/recv flags as
    /// they are. The kernel decides the result and errno, so nothing here is modelled.</summary>
    private static LineSupport KernelSyscall(SyscallLine call)
    {
        if (!ModelledCalls.Contains(call.Name))
            return LineSupport.No($"system call {call.Name}() is not run on the kernel by our runner");
        switch (call.Name)
        {
            case "socket":
                if (SocketProblem(call, "run") is { } socketProblem) return socketProblem;
                break;
            case "setsockopt" or "getsockopt":
                if (call.Argument(1) is WordExpr level && !Execution.PosixSymbols.TryValue(level.Name, out _))
                    return LineSupport.No($"socket option level {level.Name} is not known to the runner");
                if (call.Argument(2) is WordExpr option && !Execution.PosixSymbols.TryValue(option.Name, out _))
                    return LineSupport.No($"socket option {option.Name} is not known to the runner");
                var value = call.Argument(3);
                if (call.Argument(2) is WordExpr { Name: "TCP_INFO" } && value is StructExpr info)
                {
                    if (TcpInfoProblem(info, Execution.TcpInfoFields.Names, "is not in Linux's struct tcp_info") is { } infoProblem)
                        return infoProblem;
                }
                else if (call.Argument(2) is WordExpr { Name: not "SO_LINGER" } other &&
                         value is not (IntegerExpr or WordExpr or StringExpr or EllipsisExpr or ArrayExpr { Items: [IntegerExpr or WordExpr or BitOrExpr] }))
                    return LineSupport.No($"{call.Name} {other.Name} with a value of this shape ({value}) is not run (an integer, [integer] or \"string\" is)");
                break;
            case "fcntl":
                if (FcntlProblem(call, "run") is { } fcntlProblem) return fcntlProblem;
                break;
            case "send" or "sendto" or "recv" or "recvfrom":
                if (FlagNotIn(call, KernelMessageFlags) is { } flag)
                    return LineSupport.No($"{call.Name}() flag {flag} is not passed to the kernel by our runner");
                if (call.Name == "sendto" && call.Argument(4) is { } address and not EllipsisExpr)
                    return LineSupport.No($"sendto() to the address {address}: the runner sends to the script's remote address (write ...)");
                break;
        }
        return LineSupport.Yes;
    }
}
