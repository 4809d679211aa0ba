using System.Runtime.InteropServices;

namespace Netstack.Harness.Linux;

/// <summary>What the real wire needs from the machine (root or CAP_NET_ADMIN, /dev/net/tun, network namespaces,
/// iproute2); each check says why it is missing.</summary>
public static class TapPrerequisites
{
    private const int CapNetAdmin = 12;

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    /// <summary>Null when taps in namespaces can be made here, otherwise the reason they cannot.</summary>
    public static string? MissingReason()
    {
        if (!OperatingSystem.IsLinux()) return "the real wire needs Linux";
        if (!File.Exists("/dev/net/tun")) return "/dev/net/tun does not exist (no tun module in this container)";
        if (GetEuid() != 0 && !HasCapability(CapNetAdmin))
            return "the real wire needs root or CAP_NET_ADMIN to create network namespaces and taps";
        if (!CommandRunner.Exists("ip")) return "iproute2 (ip) is not installed";
        return NamespaceProbe.Value;
    }

    /// <summary>Containers can grant CAP_NET_ADMIN yet forbid namespaces; find out once per run.</summary>
    private static readonly Lazy<string?> NamespaceProbe = new(() =>
    {
        var name = $"nsprobe{Environment.ProcessId}";
        var added = CommandRunner.Run("ip", "netns", "add", name);
        if (added.ExitCode != 0) return $"cannot create network namespaces here: {added.Error.Trim()}";
        CommandRunner.Run("ip", "netns", "del", name);
        return null;
    });

    private static bool HasCapability(int bit)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                return (Convert.ToUInt64(line[7..].Trim(), 16) & (1UL << bit)) != 0;
        return false;
    }
}
