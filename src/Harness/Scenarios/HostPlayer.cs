using Netstack.Time;

namespace Netstack.Harness.Scenarios;

/// <summary>Who plays a host (<c>played-by:</c>): one of our stacks, the Linux kernel behind a tap, or an external
/// implementation (a known stack such as lwIP, or any command that brings up a tap).</summary>
public enum HostPlayer
{
    Stack,
    Linux,
    External,
}

/// <summary>A service a host offers to the other hosts' steps: <c>echo:7</c> (TCP echo, RFC 862), <c>discard:9</c>
/// (TCP discard, RFC 863), <c>udp-echo:7</c>; an external host may also declare others (<c>http:80</c>), which are
/// only traffic to the harness.</summary>
public sealed record ServiceSpec(string Kind, ushort Port)
{
    /// <summary>The services the harness can run on our stack and on Linux.</summary>
    public static readonly IReadOnlyList<string> Served = ["echo", "discard", "udp-echo"];

    public override string ToString() => $"{Kind}:{Port}";
}

/// <summary>An external implementation playing a host: a known stack by <see cref="Known"/> name ("lwip",
/// "slirp"), or <see cref="Command"/> run in the host's namespace, which creates <see cref="Interface"/>.</summary>
public sealed record ExternalPlayer(string? Known, string? Command, string? Interface)
{
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public Duration StartTimeout { get; init; } = Duration.FromSeconds(10);

    /// <summary>How reports name it: the known stack's name, or the command.</summary>
    public string Title => Known ?? Command!;
}
