using Netstack.Harness.Linux;
using Netstack.Harness.Scenarios;
using Netstack.Time;
using Netstack.Wire;
using YamlDotNet.RepresentationModel;

namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>Who plays a script's local side, from a <c>// played-by: WHO</c> comment before its first event: our stack
/// (no comment), <c>linux</c> (the kernel, as <c>--wire tap</c> does), one of the stacks the repository runs as an
/// external host (<c>lwip</c>, <c>slirp</c>, <c>ours-tap</c>), or any other as <c>{ run: COMMAND, interface: NAME }</c>
/// (as in YAML; docs/scenarios.md). An external host is a process with its own tap bridged onto the script's wire, on
/// the real clock; it has no socket API the runner can drive, so a script for it is packets only, against the
/// services it offers (lwip, slirp and ours-tap: TCP and UDP echo on 7, TCP discard on 9, set with
/// <c>--bind_port</c>); a system call in it is a located error.</summary>
public sealed record PacketdrillPlayer(string Word, SourceLocation Location)
{
    /// <summary>A known external stack's name, or null (linux, or a <c>run:</c> command).</summary>
    public string? Known { get; init; }
    public string? Command { get; init; }
    public string? Interface { get; init; }
    /// <summary>How long a command has to create its interface (and print readiness), as <c>start-timeout</c>.</summary>
    public Duration StartTimeout { get; init; } = Duration.FromSeconds(10);

    public bool IsLinux => Word == "linux";
    public bool IsExternal => !IsLinux;

    private const string Marker = "played-by:";

    /// <summary>The player a script names, or null when it names none; throws <see cref="FormatException"/> with
    /// <c>file:line:col</c> for a value that is not one.</summary>
    public static PacketdrillPlayer? Read(string file)
    {
        int number = 0;
        foreach (var raw in File.ReadLines(file))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("--", StringComparison.Ordinal)) continue;
            if (!line.StartsWith("//", StringComparison.Ordinal)) break; // the first event: the header is over
            var comment = line[2..].TrimStart();
            if (!comment.StartsWith(Marker, StringComparison.Ordinal)) continue;
            var value = comment[Marker.Length..].Trim();
            var at = new SourceLocation(file, number, raw.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length + 2);
            return Parse(value, at);
        }
        return null;
    }

    private static PacketdrillPlayer Parse(string value, SourceLocation at)
    {
        string Known() => $"linux, {string.Join(", ", KnownExternalStacks.Names)}, or {{ run: COMMAND, interface: NAME }}";
        YamlNode root;
        try
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(value));
            root = yaml.Documents.Count == 1 ? yaml.Documents[0].RootNode : throw new FormatException($"{at}: played-by: give one of {Known()}");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new FormatException($"{at}: played-by: '{value}' is not {Known()}: {e.Message}");
        }
        if (root is YamlScalarNode { Value: { } word })
        {
            if (word == "linux") return new PacketdrillPlayer(word, at);
            if (KnownExternalStacks.Names.Contains(word)) return new PacketdrillPlayer(word, at) { Known = word };
            throw new FormatException($"{at}: played-by: unknown implementation '{word}' (known: {Known()})");
        }
        if (root is YamlMappingNode map)
        {
            string? Get(string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;
            foreach (var key in map.Children.Keys.OfType<YamlScalarNode>())
                if (key.Value is not ("run" or "interface" or "start-timeout"))
                    throw new FormatException($"{at}: played-by: unknown key '{key.Value}' (a command is {{ run: COMMAND, interface: NAME, start-timeout: 10s }})");
            var command = Get("run");
            var device = Get("interface");
            if (string.IsNullOrWhiteSpace(command) || string.IsNullOrWhiteSpace(device))
                throw new FormatException($"{at}: played-by: a command needs both run: and interface: ({{ run: COMMAND, interface: NAME }})");
            var startTimeout = Duration.FromSeconds(10); // as for a scenario's external host
            if (Get("start-timeout") is { } text && (!TimeSyntax.TryParseDuration(text, out startTimeout) || startTimeout <= Duration.Zero))
                throw new FormatException($"{at}: played-by: bad start-timeout '{text}': a time longer than 0 with a unit, like 30s");
            return new PacketdrillPlayer("run", at) { Command = command, Interface = device, StartTimeout = startTimeout };
        }
        throw new FormatException($"{at}: played-by: give one of {Known()}");
    }

    /// <summary>The name the report gives the player ("lwip", "run: ./my-stack").</summary>
    public string Name => Known ?? (IsLinux ? "linux" : $"run: {Command}");

    /// <summary>The local host's MAC: slirp's is fixed by its address (52:55 + the address), every other keeps the
    /// script's usual one.</summary>
    public MacAddress Mac(Ipv4Address local, MacAddress usual) =>
        Known == "slirp" ? new MacAddress(0x5255_0000_0000UL | local.Value) : usual;

    /// <summary>Why this player cannot be the local host with this address; null when it can.</summary>
    public string? Problem(MacAddress mac, Ipv4Cidr address) =>
        Known is { } k ? KnownExternalStacks.Problem(k, mac, address) : null;

    public ExternalHostSpec Spec(MacAddress mac, Ipv4Cidr address, int mtu, Ipv4Address gateway) =>
        Known is { } k
            ? KnownExternalStacks.For(k, mac, address, mtu, gateway)
            : new ExternalHostSpec(Command!, Interface!, address, mac, mtu) { Gateway = gateway, StartTimeout = StartTimeout };

    /// <summary>The located errors of a script this player cannot run: every system call (an external host offers
    /// services, not a socket API the runner can drive).</summary>
    public IEnumerable<string> Errors(PacketdrillScript script)
    {
        if (!IsExternal) yield break;
        var offers = Known is { } k ? $" (it offers {string.Join(", ", KnownExternalStacks.Offers(k))})" : "";
        foreach (var e in script.Events)
            if (e.Action is SyscallLine call)
                yield return $"{call.Location}: {call.Name}() cannot run: the local host is played by {Name} (played-by at line " +
                             $"{Location.Line}), an external process without a socket API the script can call; write the script " +
                             $"as packets against its services{offers}";
    }
}
