using Netstack.Wire;
using Netstack.Time;

namespace Netstack.Harness.Linux;

/// <summary>The stacks the repository knows how to run as an external host, by name: "lwip" (tools/lwip-host,
/// built from Debian's liblwip-dev by scripts/build-lwip-host.sh), "slirp" (slirp4netns through
/// scripts/slirp-host.sh) and "ours-tap" (our own stack as `harness tap` through scripts/ours-tap-host.sh: the same
/// external-process path the third-party stacks take, exercised on our stack). Each gives the <see cref="ExternalHostSpec"/> for a host's address, MAC and MTU, or says
/// why that stack cannot play such a host.</summary>
public static class KnownExternalStacks
{
    public static readonly IReadOnlyList<string> Names = ["lwip", "slirp", "ours-tap"];

    /// <summary>The spec for stack <paramref name="name"/> playing a host with this configuration.</summary>
    public static ExternalHostSpec For(string name, MacAddress mac, Ipv4Cidr address, int mtu, Ipv4Address? gateway = null) =>
        name switch
        {
            "lwip" => new ExternalHostSpec(Quoted(LwipBinary()), "lwip0", address, mac, mtu) { Gateway = gateway },
            "slirp" => Slirp(mac, address, mtu),
            "ours-tap" => new ExternalHostSpec(Quoted(Path.Combine(RepositoryRoot(), "scripts", "ours-tap-host.sh")), "ours0", address, mac, mtu)
                // A .NET process starting (and, with --warm-up, compiling) on a loaded machine takes seconds before it creates its tap.
                // It announces itself before it prints "ready": the announcement must not fall into the run.
                { Gateway = gateway, StartTimeout = Duration.FromSeconds(60), ReadyOutput = "ready " },
            _ => throw new ArgumentException($"unknown external stack '{name}' (known: {string.Join(", ", Names)})", nameof(name)),
        };

    /// <summary>The services each stack offers: lwip_host.c and `harness tap --serve` serve them themselves; slirp
    /// forwards them to socat servers in its outside namespace (scripts/slirp-host.sh).</summary>
    public static IReadOnlyList<Netstack.Harness.Scenarios.ServiceSpec> Offers(string name) =>
        name is "lwip" or "slirp" or "ours-tap" ? [new("echo", 7), new("discard", 9), new("udp-echo", 7)] : [];

    /// <summary>Why stack <paramref name="name"/> cannot play a host with this MAC and address; null when it can.</summary>
    public static string? Problem(string name, MacAddress mac, Ipv4Cidr address)
    {
        if (name != "slirp") return null;
        // Slirp's gateway is always network + 2 and its MAC is 52:55 followed by the address; refusing other values
        // gives a located error instead of a host that silently answers at another address.
        if (address.Address.Value != address.Network.Value + 2)
            return $"slirp plays its gateway, which is always the network address + 2 " +
                $"({new Ipv4Address(address.Network.Value + 2)}/{address.PrefixLength}), not {address.Address}";
        var slirpMac = new MacAddress(0x5255_0000_0000UL | address.Address.Value);
        if (mac != slirpMac) return $"slirp's gateway at {address.Address} always has MAC {slirpMac}, not {mac}";
        if (address.PrefixLength is < 8 or > 29) return $"slirp needs a prefix length of 8..29, not /{address.PrefixLength}";
        return null;
    }

    private static ExternalHostSpec Slirp(MacAddress mac, Ipv4Cidr address, int mtu)
    {
        if (Problem("slirp", mac, address) is { } problem) throw new ArgumentException(problem);
        return new ExternalHostSpec(Quoted(Path.Combine(RepositoryRoot(), "scripts", "slirp-host.sh")), "slirp0", address, mac, mtu);
    }

    private static readonly Lazy<string> LwipBuild = new(() =>
    {
        var script = Path.Combine(RepositoryRoot(), "scripts", "build-lwip-host.sh");
        var r = CommandRunner.Run("bash", [script], Duration.FromMinutes(5));
        if (r.ExitCode != 0) throw new InvalidOperationException($"{script} failed: {r}");
        return r.Output.Trim().Split('\n')[^1];
    });

    /// <summary>The lwIP host binary, built (once per process, and only when its source changed) on first use.</summary>
    public static string LwipBinary() => LwipBuild.Value;

    /// <summary>The checkout the harness runs from (its scripts/ and tools/ sit next to Harness.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Harness.sln"))) return dir.FullName;
        throw new InvalidOperationException($"the external stacks' scripts are found next to Harness.sln, and there is none above {AppContext.BaseDirectory}");
    }

    /// <summary>A path as one word of a shell command.</summary>
    public static string Quoted(string path) => "'" + path.Replace("'", "'\\''") + "'";
}
