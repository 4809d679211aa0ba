namespace Netstack.Tests.Tap;

/// <summary>Validates a capture with tshark, checksum verification on for IP, ICMP, UDP and TCP.</summary>
public static class TsharkCheck
{
    private const string Problems =
        "_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == \"Bad\" || " +
        "icmp.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\"";

    private static readonly string[] ChecksumOptions =
    [
        "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
    ];

    /// <summary>Frames that are malformed, carry a bad checksum or an error-level expert item, one per line.</summary>
    public static string[] FindProblems(string pcap) => Lines(Tshark(["-r", pcap, .. ChecksumOptions, "-Y", Problems]));

    /// <summary>The frames matching a display filter, one summary line each.</summary>
    public static string[] Frames(string pcap, string filter) => Lines(Tshark(["-r", pcap, .. ChecksumOptions, "-Y", filter]));

    private static string Tshark(string[] args)
    {
        var r = CommandRunner.Run("tshark", args, TimeSpan.FromSeconds(60));
        if (r.ExitCode != 0) throw new InvalidOperationException($"tshark {string.Join(' ', args)}: {r}");
        return r.Output;
    }

    private static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
