using Netstack.Wire;
using Netstack.Time;

namespace Netstack.Harness.Linux;

/// <summary>How to run a third-party stack as a host: <see cref="Command"/> (a shell command) is started inside a
/// namespace made for it and is expected to create the tap <see cref="Interface"/> there and answer on it as the
/// host. It learns the host's configuration from the environment (<see cref="Variables"/>).</summary>
public sealed record ExternalHostSpec(string Command, string Interface, Ipv4Cidr Address, MacAddress Mac, int Mtu)
{
    public Ipv4Address? Gateway { get; init; }

    /// <summary>More variables for the command (they may not override the HARNESS_ ones).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long the command may take to create its interface.</summary>
    public Duration StartTimeout { get; init; } = Duration.FromSeconds(10);

    /// <summary>The environment the command gets, besides the harness's own.</summary>
    public IReadOnlyDictionary<string, string> Variables(string namespaceName)
    {
        var v = new Dictionary<string, string>(Environment, StringComparer.Ordinal)
        {
            ["HARNESS_IFNAME"] = Interface,
            ["HARNESS_ADDRESS"] = $"{Address.Address}/{Address.PrefixLength}",
            ["HARNESS_NETMASK"] = new Ipv4Address(Ipv4Address.PrefixMask(Address.PrefixLength)).ToString(),
            ["HARNESS_MAC"] = Mac.ToString(),
            ["HARNESS_MTU"] = Mtu.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Also what marks the command's processes as this host's, so they can be found and ended.
            [ExternalStackHost.NamespaceVariable] = namespaceName,
        };
        if (Gateway is { } g) v["HARNESS_GATEWAY"] = g.ToString();
        return v;
    }

    /// <summary>Null when the spec can be run, otherwise what is wrong with it.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Command)) return "the command is empty";
        if (Interface.Length is 0 or > 15 || Interface.Any(c => c is '/' or ':' || char.IsWhiteSpace(c)))
            return $"interface name '{Interface}' is not a Linux interface name (1..15 characters, no '/', ':' or spaces)";
        if (Interface is ExternalStackHost.BridgeName or ExternalStackHost.OurTapName or "lo")
            return $"interface name '{Interface}' is taken by the harness's own devices in the host's namespace";
        if (Mtu is < 576 or > 65535) return $"MTU {Mtu} is outside 576..65535";
        foreach (var key in Environment.Keys)
            if (key.StartsWith("HARNESS_", StringComparison.Ordinal))
                return $"environment variable {key}: the HARNESS_ variables are set by the harness";
        return null;
    }
}
