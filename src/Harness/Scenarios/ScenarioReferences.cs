using System.Globalization;
using System.Text.RegularExpressions;
using Netstack.Harness.Hosts;
using Netstack.Wire;
using YamlDotNet.RepresentationModel;

namespace Netstack.Harness.Scenarios;

/// <summary>Resolves names a scenario uses (hosts, segments, <c>host:port</c> sockets, addresses written as
/// host names) against what the file declared, with errors that point at the reference.</summary>
internal sealed partial class ScenarioReferences(string file, IReadOnlyList<HostSpec> hosts, IReadOnlyList<SegmentSpec> segments)
{
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_-]*$")]
    public static partial Regex NamePattern();

    public string File { get; } = file;
    public IReadOnlyList<HostSpec> Hosts { get; } = hosts;

    /// <summary>The declared host called <paramref name="name"/>; null when there is none.</summary>
    private HostSpec? FindHost(string name) => Hosts.FirstOrDefault(h => h.Name == name);

    public HostSpec Host(YamlMapping map, string key)
    {
        var node = map.Get(key)!;
        var name = map.Scalar(node, key);
        return FindHost(name) ?? throw map.ErrorAt(node, UnknownHost(name));
    }

    /// <summary>The host named by <paramref name="key"/>, able to do what the step <paramref name="needs"/>.</summary>
    public HostSpec HostThatCan(YamlMapping map, string key, HostAbility needs) => needs switch
    {
        HostAbility.None => Host(map, key),
        HostAbility.Sockets => StackHost(map, key),
        HostAbility.Inspect => InspectableHost(map, key),
        HostAbility.Inject => ScriptedHost(map, key),
        HostAbility.Exec => HostAble(map, key, HostAbility.Exec),
        _ => throw new ArgumentOutOfRangeException(nameof(needs), needs, "one ability per step"),
    };

    /// <summary>A host whose driver makes application calls (<see cref="HostAbility.Sockets"/>), for steps that
    /// call its API.</summary>
    public HostSpec StackHost(YamlMapping map, string key) => HostAble(map, key, HostAbility.Sockets);

    /// <summary>A host of ours whose internals (ARP cache, counters) <paramref name="key"/> inspects
    /// (<see cref="HostAbility.Inspect"/>): not a scripted peer, and not the host Linux plays (the scenario must
    /// mean the same on both wires). A host without sockets is refused for those first.</summary>
    public HostSpec InspectableHost(YamlMapping map, string key)
    {
        var host = StackHost(map, key);
        return host.Can(HostAbility.Inspect) ? host : throw Refused(map, key, host, HostAbility.Inspect);
    }

    /// <summary>A scripted peer, for inject steps.</summary>
    public HostSpec ScriptedHost(YamlMapping map, string key) => HostAble(map, key, HostAbility.Inject);

    private HostSpec HostAble(YamlMapping map, string key, HostAbility needs)
    {
        var host = Host(map, key);
        return host.Can(needs) ? host : throw Refused(map, key, host, needs);
    }

    private static ScenarioFormatException Refused(YamlMapping map, string key, HostSpec host, HostAbility needs) =>
        map.ErrorAt(map.Get(key)!, HostAbilities.Refusal(host, needs, key));

    public string UnknownHost(string name)
    {
        var suggestion = YamlMapping.Suggest(name, Hosts.Select(h => h.Name));
        return suggestion is not null
            ? $"unknown host '{name}'; did you mean '{suggestion}'?"
            : $"unknown host '{name}' (hosts: {string.Join(", ", Hosts.Select(h => h.Name))})";
    }

    public string Segment(YamlMapping map, string key)
    {
        var node = map.Get(key)!;
        var name = map.Scalar(node, key);
        if (segments.Any(s => s.Name == name)) return name;
        throw map.ErrorAt(node, $"unknown segment '{name}' (segments: {string.Join(", ", segments.Select(s => s.Name))})");
    }

    /// <summary>Like <see cref="Address"/>, or an IPv6 address: a literal (2001:db8::10) or <c>host/ip6</c>, that host's
    /// first interface's <c>ip6</c> address.</summary>
    public AddressRef AddressOfEitherFamily(YamlMapping map, YamlNode node, string key)
    {
        var text = map.Scalar(node, key);
        return Ipv6Ref(map, node, key, text) ?? Address(map, node, key);
    }

    /// <summary>An IPv6 literal or <c>host/ip6</c> (that host's first interface's <c>ip6</c> address); null for
    /// text that is neither.</summary>
    private AddressRef? Ipv6Ref(YamlMapping map, YamlNode node, string key, string text)
    {
        if (Netstack.Wire.Ipv6Address.TryParse(text, out var v6)) return new AddressRef(text, default) { Ipv6 = v6 };
        if (!text.EndsWith("/ip6", StringComparison.Ordinal)) return null;
        var hostName = text[..^4];
        var host = FindHost(hostName)
            ?? throw map.ErrorAt(node, $"'{key}' names no host: {UnknownHost(hostName)}");
        return host.Interfaces[0].Ipv6 is { } cidr
            ? new AddressRef(text, default) { Ipv6 = cidr.Address }
            : throw map.ErrorAt(node, host.Interfaces[0].Ipv6Slaac
                ? $"host '{hostName}' takes its 'ip6' address from router advertisements: write the address it forms"
                : $"host '{hostName}' has no 'ip6' address");
    }

    /// <summary>An IPv4 address, or a host name standing for that host's first address.</summary>
    public AddressRef Address(YamlMapping map, YamlNode node, string key)
    {
        var text = map.Scalar(node, key);
        if (Ipv4Address.TryParse(text, out var a)) return new AddressRef(text, a);
        if (FindHost(text) is { } host) return new AddressRef(text, host.Interfaces[0].Address.Address);
        if (LooksNumeric(text))
            throw map.ErrorAt(node, $"bad address '{text}' for '{key}': expected an IPv4 address like 192.0.2.11");
        throw map.ErrorAt(node, $"'{key}' must be an IPv4 address or a host name: {UnknownHost(text)}");
    }

    /// <summary>A local socket: <c>host:port</c> with a declared host.</summary>
    public SocketName Socket(YamlMapping map, YamlNode node, string key)
    {
        var text = map.Scalar(node, key);
        var (hostText, port) = SplitPort(map, node, key, text);
        var owner = FindHost(hostText)
                    ?? throw map.ErrorAt(node, $"'{key}' must be host:port with a host of this scenario: {UnknownHost(hostText)}");
        if (!owner.Can(HostAbility.Sockets))
            throw map.ErrorAt(node, owner.Scripted
                ? $"host '{owner.Name}' is scripted: it has no sockets (use inject steps)"
                : HostAbilities.Refusal(owner, HostAbility.Sockets, key));
        return new SocketName(hostText, port);
    }

    /// <summary>The scenario's <c>connection:</c>: the four-tuple <c>tcp:</c> lines in segment notation are about
    /// unless a step names its own.</summary>
    public Steps.TcpConnectionSpec? DefaultConnection { get; set; }

    /// <summary>Hosts under <c>strict:</c>: every TCP segment they send must be expected, in order.</summary>
    public IReadOnlySet<string> StrictHosts { get; set; } = new HashSet<string>();

    /// <summary><c>[x:5555, b:80]</c>: two ends, each a host of this scenario and a port.</summary>
    public Steps.TcpConnectionSpec Connection(YamlMapping map, YamlNode node, string key)
    {
        if (node is not YamlSequenceNode { Children.Count: 2 } ends)
            throw map.ErrorAt(node, $"'{key}' must be two ends, each host:port, like [x:5555, b:80]");
        var (a, portA) = SplitPort(map, ends.Children[0], key, map.Scalar(ends.Children[0], key));
        var (b, portB) = SplitPort(map, ends.Children[1], key, map.Scalar(ends.Children[1], key));
        bool ip6A = a.EndsWith("/ip6", StringComparison.Ordinal), ip6B = b.EndsWith("/ip6", StringComparison.Ordinal);
        if (ip6A != ip6B)
            throw map.ErrorAt(ends.Children[1], $"the ends of '{key}' are of one family: write both as host/ip6:port or neither");
        if (ip6A) (a, b) = (a[..^4], b[..^4]);
        var hostA = FindHost(a) ?? throw map.ErrorAt(ends.Children[0], $"'{key}' ends are host:port with a host of this scenario: {UnknownHost(a)}");
        var hostB = FindHost(b) ?? throw map.ErrorAt(ends.Children[1], $"'{key}' ends are host:port with a host of this scenario: {UnknownHost(b)}");
        if (a == b) throw map.ErrorAt(ends.Children[1], $"the two ends of '{key}' are both on host '{a}'");
        if (!ip6A) return new Steps.TcpConnectionSpec(a, hostA.Interfaces[0].Address.Address, portA, b, hostB.Interfaces[0].Address.Address, portB);
        var addressA = Ipv6Ref(map, ends.Children[0], key, a + "/ip6")!.Value.Ip;
        var addressB = Ipv6Ref(map, ends.Children[1], key, b + "/ip6")!.Value.Ip;
        return new Steps.TcpConnectionSpec(a, addressA, portA, b, addressB, portB);
    }

    /// <summary>A remote end: <c>host:port</c> or <c>192.0.2.11:port</c>; over IPv6 <c>host/ip6:port</c> or
    /// <c>[2001:db8::b]:port</c>.</summary>
    public RemoteEndpoint Endpoint(YamlMapping map, YamlNode node, string key)
    {
        var text = map.Scalar(node, key);
        var (hostText, port) = SplitPort(map, node, key, text);
        AddressRef address;
        if (hostText.StartsWith('[') && hostText.EndsWith(']'))
            address = Netstack.Wire.Ipv6Address.TryParse(hostText[1..^1], out var literal)
                ? new AddressRef(hostText[1..^1], default) { Ipv6 = literal }
                : throw map.ErrorAt(node, $"bad address '{hostText}' in '{key}': expected an IPv6 address in brackets like [2001:db8::b]:80");
        else if (Ipv6Ref(map, node, key, hostText) is { } v6)
        {
            if (v6.Text == hostText && !hostText.EndsWith("/ip6", StringComparison.Ordinal))
                throw map.ErrorAt(node, $"an IPv6 address with a port is written in brackets: [{hostText}]:{port}");
            address = v6;
        }
        else if (Ipv4Address.TryParse(hostText, out var a)) address = new AddressRef(hostText, a);
        else if (FindHost(hostText) is { } host) address = new AddressRef(hostText, host.Interfaces[0].Address.Address);
        else if (LooksNumeric(hostText)) throw map.ErrorAt(node, $"bad address '{hostText}' in '{key}': expected an IPv4 address like 192.0.2.11");
        else throw map.ErrorAt(node, $"'{key}' must be host:port or address:port: {UnknownHost(hostText)}");
        return new RemoteEndpoint(address, port);
    }

    private static (string Host, ushort Port) SplitPort(YamlMapping map, YamlNode node, string key, string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
            throw map.ErrorAt(node, $"'{key}' must be host:port, like b:7, 192.0.2.11:7, b/ip6:7 or [2001:db8::b]:7, found '{text}'");
        var portText = text[(colon + 1)..];
        if (!ushort.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port == 0)
            throw map.ErrorAt(node, $"bad port '{portText}' in '{key}': expected 1 to 65535");
        return (text[..colon], port);
    }

    private static bool LooksNumeric(string text) => text.Length > 0 && (char.IsAsciiDigit(text[0]) || text.Contains('.'));
}
