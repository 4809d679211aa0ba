using Netstack.Harness.Linux;
using Netstack.Time;
namespace Netstack.Tests.Tap;

/// <summary>Validates a capture with tshark, checksum verification on for IP, ICMP, UDP and TCP (ICMPv6 checksums tshark always checks).</summary>
public static class TsharkCheck
{
    // A retransmitted segment overlaps data already reassembled; Wireshark's TCP reassembly then raises a reassembly
    // error ("New fragment overlaps old data (retransmission?)", under _ws.malformed) and an error-level expert item even
    // when the bytes are the same: seen on spurious and on real fast retransmissions of our HTTP server at load 2-77,
    // and on a retransmission sent sooner than an RTT, which tshark classes out-of-order. On those frames only the
    // reassembly error is forgiven; any other malformation, expert error or bad checksum still counts. The transfers'
    // own SHA-256 checks are what prove the retransmitted bytes right.
    private const string Retransmitted =
        "(tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission || tcp.analysis.out_of_order)";
    private const string Problems =
        "(_ws.malformed && !(" + Retransmitted + " && _ws.malformed.reassembly && !_ws.malformed.dissector_bug && !_ws.malformed.expert)) || " +
        "(_ws.expert.severity >= error && !" + Retransmitted + ") || ip.checksum.status == \"Bad\" || " +
        "icmp.checksum.status == \"Bad\" || icmpv6.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\"";

    private static readonly string[] ChecksumOptions =
    [
        "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
    ];

    /// <summary>Frames that are malformed, carry a bad checksum or an error-level expert item, one per line.
    /// Payloads on <paramref name="dataPorts"/> (TCP and UDP) are decoded as plain data: random test bytes
    /// would otherwise set off some heuristic application dissector and be reported as malformed.</summary>
    public static string[] FindProblems(string pcap, params int[] dataPorts) => FindProblems(pcap, null, null, dataPorts);

    /// <summary>As above, also counting frames matching <paramref name="alsoWrong"/> as problems (one pass
    /// over the capture instead of two). A TCP checksum of 0xFFFF (-0 where RFC 1624 wants +0, equivalent
    /// on receipt) is tolerated from <paramref name="kernel"/>: Linux occasionally sends one on a tap, and
    /// its frames are not what we are judging.</summary>
    public static string[] FindProblems(string pcap, string? alsoWrong, string? kernel, params int[] dataPorts)
    {
        var decodeAs = dataPorts.SelectMany(p => new[] { "-d", $"tcp.port=={p},data", "-d", $"udp.port=={p},data" });
        var filter = alsoWrong is null ? Problems : $"{Problems} || {alsoWrong}";
        var kernelSource = kernel is not null && kernel.Contains(':') ? "ipv6.src" : "ip.src";
        if (kernel is not null) filter = $"({filter}) && !(tcp.checksum.ffff && {kernelSource} == {kernel} && !_ws.malformed)";
        return Lines(Tshark(["-r", pcap, .. ChecksumOptions, .. decodeAs, "-Y", filter]));
    }

    /// <summary>The frames matching a display filter, one summary line each.</summary>
    public static string[] Frames(string pcap, string filter) => Lines(Tshark(["-r", pcap, .. ChecksumOptions, "-Y", filter]));

    /// <summary>How many frames match each display filter, all counted in one pass over the capture (tshark's
    /// io,stat; a filter must not contain a comma).</summary>
    public static long[] Counts(string pcap, params string[] filters)
    {
        var output = Tshark(["-q", "-r", pcap, "-z", $"io,stat,0,{string.Join(',', filters)}"]);
        var row = Lines(output).LastOrDefault(l => l.Contains("<>"))
                  ?? throw new InvalidOperationException($"tshark io,stat printed no interval row:\n{output}");
        var cells = row.Split('|');
        return filters.Select((_, i) => long.Parse(cells[2 + 2 * i].Trim())).ToArray();
    }

    private static string Tshark(string[] args)
    {
        var r = CommandRunner.Run("tshark", args, Duration.FromSeconds(60));
        if (r.ExitCode != 0) throw new InvalidOperationException($"tshark {string.Join(' ', args)}: {r}");
        return r.Output;
    }

    private static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
