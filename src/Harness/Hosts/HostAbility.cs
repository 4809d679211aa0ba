using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Hosts;

/// <summary>What steps can ask of a host. A step names the ability it needs; a host whose driver lacks it is a
/// load error at the step (file:line:col), on either wire.</summary>
[Flags]
public enum HostAbility
{
    None = 0,
    /// <summary>Application calls: ping, UDP sockets, TCP listen/connect/accept and the connections' streams.</summary>
    Sockets = 1,
    /// <summary>Reading the stack's internals: ARP cache, counters.</summary>
    Inspect = 2,
    /// <summary>Putting hand-built frames on the wire (<c>inject</c>).</summary>
    Inject = 4,
    /// <summary>Running a command in the host's namespace (<c>exec</c>): Linux and external hosts.</summary>
    Exec = 8,
    /// <summary>Reading the IPv6 neighbour cache and the states of its IPv6 addresses (<c>neighbor-cache</c>,
    /// <c>ip6-address</c>): our stack's tables, or the kernel's as <c>ip -6 neigh</c> and <c>ip -6 addr</c> show them.</summary>
    Ipv6State = 16,
}

/// <summary>Which driver plays a host, and so what its steps may ask: one table for the loader and the run.
/// A host Linux plays is judged by the kernel's abilities on both wires, so a scenario means the same on each.</summary>
public static class HostAbilities
{
    public static HostAbility Of(HostSpec host) =>
        host.Scripted ? ScriptedPeerDriver.Abilities
        : host.PlayedBy == HostPlayer.Linux ? LinuxHostDriver.Abilities
        : host.PlayedBy == HostPlayer.External ? ExternalHostDriver.Abilities
        : StackHostDriver.Abilities;

    public static bool Can(this HostSpec host, HostAbility ability) => (Of(host) & ability) == ability;

    /// <summary>Why <paramref name="host"/> cannot serve the step's <paramref name="key"/>, which needs
    /// <paramref name="missing"/>: in the words of the driver that plays it.</summary>
    public static string Refusal(HostSpec host, HostAbility missing, string key) =>
        host.Scripted ? ScriptedPeerDriver.Refusal(host.Name, key)
        : host.PlayedBy == HostPlayer.Linux ? LinuxHostDriver.Refusal(host.Name, missing, key)
        : host.PlayedBy == HostPlayer.External ? ExternalHostDriver.Refusal(host, key)
        : StackHostDriver.Refusal(host.Name, missing);
}
