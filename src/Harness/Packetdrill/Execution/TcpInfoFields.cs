using System.Buffers.Binary;
using System.Text;

namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>Linux's <c>struct tcp_info</c> (include/uapi/linux/tcp.h) read field by field from the bytes
/// getsockopt(TCP_INFO) returns, as packetdrill hands them to a Python <c>%{ }%</c> block: one
/// <c>tcpi_NAME = VALUE</c> line each, with the state and option names it defines. A field past the length the
/// kernel returned is not defined (an older kernel), so a block using it fails with a NameError, not a wrong value.</summary>
public static class TcpInfoFields
{
    /// <summary>Bytes asked for: the struct as of Linux 6.x, with room for fields added since.</summary>
    public const int MaxLength = 512;

    private enum Kind { U8, U32, U64, U16, LowNibble, HighNibble, LowBit }

    private static readonly (string Name, int Offset, Kind Kind)[] Layout =
    [
        ("tcpi_state", 0, Kind.U8), ("tcpi_ca_state", 1, Kind.U8), ("tcpi_retransmits", 2, Kind.U8),
        ("tcpi_probes", 3, Kind.U8), ("tcpi_backoff", 4, Kind.U8), ("tcpi_options", 5, Kind.U8),
        ("tcpi_snd_wscale", 6, Kind.LowNibble), ("tcpi_rcv_wscale", 6, Kind.HighNibble),
        ("tcpi_delivery_rate_app_limited", 7, Kind.LowBit),
        ("tcpi_rto", 8, Kind.U32), ("tcpi_ato", 12, Kind.U32), ("tcpi_snd_mss", 16, Kind.U32), ("tcpi_rcv_mss", 20, Kind.U32),
        ("tcpi_unacked", 24, Kind.U32), ("tcpi_sacked", 28, Kind.U32), ("tcpi_lost", 32, Kind.U32),
        ("tcpi_retrans", 36, Kind.U32), ("tcpi_fackets", 40, Kind.U32),
        ("tcpi_last_data_sent", 44, Kind.U32), ("tcpi_last_ack_sent", 48, Kind.U32),
        ("tcpi_last_data_recv", 52, Kind.U32), ("tcpi_last_ack_recv", 56, Kind.U32),
        ("tcpi_pmtu", 60, Kind.U32), ("tcpi_rcv_ssthresh", 64, Kind.U32), ("tcpi_rtt", 68, Kind.U32),
        ("tcpi_rttvar", 72, Kind.U32), ("tcpi_snd_ssthresh", 76, Kind.U32), ("tcpi_snd_cwnd", 80, Kind.U32),
        ("tcpi_advmss", 84, Kind.U32), ("tcpi_reordering", 88, Kind.U32), ("tcpi_rcv_rtt", 92, Kind.U32),
        ("tcpi_rcv_space", 96, Kind.U32), ("tcpi_total_retrans", 100, Kind.U32),
        ("tcpi_pacing_rate", 104, Kind.U64), ("tcpi_max_pacing_rate", 112, Kind.U64),
        ("tcpi_bytes_acked", 120, Kind.U64), ("tcpi_bytes_received", 128, Kind.U64),
        ("tcpi_segs_out", 136, Kind.U32), ("tcpi_segs_in", 140, Kind.U32), ("tcpi_notsent_bytes", 144, Kind.U32),
        ("tcpi_min_rtt", 148, Kind.U32), ("tcpi_data_segs_in", 152, Kind.U32), ("tcpi_data_segs_out", 156, Kind.U32),
        ("tcpi_delivery_rate", 160, Kind.U64), ("tcpi_busy_time", 168, Kind.U64), ("tcpi_rwnd_limited", 176, Kind.U64),
        ("tcpi_sndbuf_limited", 184, Kind.U64), ("tcpi_delivered", 192, Kind.U32), ("tcpi_delivered_ce", 196, Kind.U32),
        ("tcpi_bytes_sent", 200, Kind.U64), ("tcpi_bytes_retrans", 208, Kind.U64), ("tcpi_dsack_dups", 216, Kind.U32),
        ("tcpi_reord_seen", 220, Kind.U32), ("tcpi_rcv_ooopack", 224, Kind.U32), ("tcpi_snd_wnd", 228, Kind.U32),
        ("tcpi_rcv_wnd", 232, Kind.U32), ("tcpi_rehash", 236, Kind.U32), ("tcpi_total_rto", 240, Kind.U16),
        ("tcpi_total_rto_recoveries", 242, Kind.U16), ("tcpi_total_rto_time", 244, Kind.U32),
    ];

    /// <summary>The names packetdrill defines before the values (Linux's numbers).</summary>
    private static readonly (string Name, int Value)[] Symbols =
    [
        ("TCP_ESTABLISHED", 1), ("TCP_SYN_SENT", 2), ("TCP_SYN_RECV", 3), ("TCP_FIN_WAIT1", 4), ("TCP_FIN_WAIT2", 5),
        ("TCP_TIME_WAIT", 6), ("TCP_CLOSE", 7), ("TCP_CLOSE_WAIT", 8), ("TCP_LAST_ACK", 9), ("TCP_LISTEN", 10),
        ("TCP_CLOSING", 11), ("TCP_CA_Open", 0), ("TCP_CA_Disorder", 1), ("TCP_CA_CWR", 2), ("TCP_CA_Recovery", 3),
        ("TCP_CA_Loss", 4), ("TCPI_OPT_TIMESTAMPS", 1), ("TCPI_OPT_SACK", 2), ("TCPI_OPT_WSCALE", 4),
        ("TCPI_OPT_ECN", 8), ("TCPI_OPT_ECN_SEEN", 16), ("TCPI_OPT_SYN_DATA", 32), ("TCPI_OPT_USEC_TS", 64),
        ("TCPI_OPT_TFO_CHILD", 128),
    ];

    /// <summary>Every field name of the struct.</summary>
    public static readonly IReadOnlySet<string> Names = Layout.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>Every field <paramref name="info"/> is long enough to hold, by name, in struct order.</summary>
    public static List<(string Name, ulong Value)> Values(ReadOnlySpan<byte> info)
    {
        var values = new List<(string, ulong)>(Layout.Length);
        foreach (var (name, offset, kind) in Layout)
        {
            int size = kind switch { Kind.U64 => 8, Kind.U32 => 4, Kind.U16 => 2, _ => 1 };
            if (offset + size > info.Length) continue;
            ulong value = kind switch
            {
                Kind.U8 => info[offset],
                Kind.LowNibble => (ulong)(info[offset] & 15),
                Kind.HighNibble => (ulong)(info[offset] >> 4),
                Kind.LowBit => (ulong)(info[offset] & 1),
                Kind.U16 => BinaryPrimitives.ReadUInt16LittleEndian(info[offset..]),
                Kind.U32 => BinaryPrimitives.ReadUInt32LittleEndian(info[offset..]),
                _ => BinaryPrimitives.ReadUInt64LittleEndian(info[offset..]),
            };
            values.Add((name, value));
        }
        return values;
    }

    /// <summary>Python assignments of every field <paramref name="info"/> is long enough to hold.</summary>
    public static string PythonAssignments(ReadOnlySpan<byte> info)
    {
        var text = new StringBuilder(2048);
        foreach (var (name, value) in Symbols) text.Append(name).Append(" = ").Append(value).Append('\n');
        foreach (var (name, value) in Values(info)) text.Append(name).Append(" = ").Append(value).Append('\n');
        return text.ToString();
    }
}
