using System.Runtime.InteropServices;

namespace Netstack.Tests.Tap;

/// <summary>What the real-wire tests need from the machine; each check says why it is missing.</summary>
public static class TapPrerequisites
{
    private const int CapNetAdmin = 12;

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    /// <summary>Null when TAP tests can run here, otherwise the reason they cannot.</summary>
    public static string? MissingReason()
    {
        if (!OperatingSystem.IsLinux()) return "TAP tests need Linux";
        if (!File.Exists("/dev/net/tun")) return "/dev/net/tun does not exist (no tun module in this container)";
        if (GetEuid() != 0 && !HasCapability(CapNetAdmin))
            return "TAP tests need root or CAP_NET_ADMIN to create namespaces and taps";
        if (!CommandRunner.Exists("ip")) return "iproute2 (ip) is not installed";
        return NamespaceProbe.Value;
    }

    /// <summary>Assert.Ignore unless each tool is installed (run-tests.sh installs them all).</summary>
    public static void RequireTools(params string[] tools)
    {
        foreach (var tool in tools)
            if (!CommandRunner.Exists(tool))
                NUnit.Framework.Assert.Ignore($"{tool} is not installed (run-tests.sh installs it)");
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
