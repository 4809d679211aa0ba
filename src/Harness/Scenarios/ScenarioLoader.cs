using System.Text.RegularExpressions;
using Netstack.Harness.Linux;
using Netstack.Harness.Trace;
using Netstack.Wire;
using YamlDotNet.RepresentationModel;
using Netstack.Time;

namespace Netstack.Harness.Scenarios;

/// <summary>Reads a scenario file into a validated <see cref="Scenario"/>. Everything that can be checked
/// before running is checked here (names, addresses, times, filters compiled by libpcap), and the first
/// mistake is thrown as a <see cref="ScenarioFormatException"/> pointing at its line and column.</summary>
public static partial class ScenarioLoader
{
    internal static readonly string[] TopKeys = ["name", "description", "seed", "timeout", "wire", "segments", "hosts", "faults", "steps", "connection", "strict"];
    private static readonly string[] SegmentKeys = ["latency", "bandwidth", "mtu"];
    internal static readonly string[] HostKeys = ["mac", "ip", "ip6", "dad", "gateway", "segment", "mtu", "interfaces", "routes", "forwarding", "gratuitous-arp", "ttl", "scripted", "played-by", "services", "personality", "stack"];
    internal static readonly string[] PlayedByKeys = ["run", "interface", "env", "services", "start-timeout"];
    private static readonly string[] StackOnlyKeys = ["gateway", "routes", "forwarding", "gratuitous-arp", "ttl", "personality", "dad"];
    private static readonly string[] LinuxDecidesKeys = ["forwarding", "gratuitous-arp"];
    private static readonly string[] InterfaceKeys = ["segment", "mac", "ip", "ip6", "mtu"];

    [GeneratedRegex(@"^(?<prefix>\S+)\s+via\s+(?<gw>\S+)$")]
    private static partial Regex RoutePattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex ScenarioNamePattern();

    public static Scenario LoadFile(string path, FrameFilterCache filters) => LoadFile(path, filters, null);

    /// <param name="cast">Who plays one host instead of what its file says (<c>harness matrix</c>): the host's name
    /// and a <c>played-by</c> word (linux, stack, lwip, slirp). The file is checked as if it said so.</param>
    public static Scenario LoadFile(string path, FrameFilterCache filters, (string Host, string PlayedBy)? cast)
    {
        string text;
        try
        {
            // Checked before reading, so a huge file costs no memory.
            if (new FileInfo(path).Length > YamlDocumentParser.MaxInputBytes)
                throw new ScenarioFormatException(new SourceLocation(path, 1, 1),
                    $"the file is larger than {YamlDocumentParser.MaxInputBytes / 1024 / 1024} MiB, the limit for a scenario");
            text = System.IO.File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioFormatException(new SourceLocation(path, 1, 1), $"cannot read the file: {e.Message}");
        }
        return Load(text, path, filters, cast);
    }

    public static Scenario Load(string yaml, string file, FrameFilterCache filters, (string Host, string PlayedBy)? cast = null)
    {
        var stream = YamlDocumentParser.Parse(yaml, file);
        if (stream.Documents.Count == 0)
            throw new ScenarioFormatException(new SourceLocation(file, 1, 1), "the file is empty: a scenario needs hosts and steps");
        if (stream.Documents.Count > 1)
            throw YamlMapping.Error(file, stream.Documents[1].RootNode, "one scenario per file: found a second YAML document");

        var root = new YamlMapping(file, stream.Documents[0].RootNode, "a scenario");
        // Independent parts are read on after a mistake, so one run shows every mistake; a part later parts
        // refer to (segments, hosts) stops the reading when it is wrong, since what refers to it would only echo it.
        var errors = new LoadErrors();
        errors.Try(() => root.AllowOnly(TopKeys));

        var name = errors.Try(() =>
        {
            var n = root.String("name") ?? Path.GetFileNameWithoutExtension(file);
            if (!ScenarioNamePattern().IsMatch(n))
                throw root.ErrorAt(root.Get("name") ?? root.Node, $"bad scenario name '{n}': use letters, digits, '.', '_' and '-' (it names the recording)");
            return n;
        }, "");

        var seed = errors.Try(() =>
        {
            var seedNode = root.Get("seed");
            ulong value = 1;
            if (seedNode is not null && !ulong.TryParse(root.Scalar(seedNode, "seed"), out value))
                throw root.ErrorAt(seedNode, $"'seed' must be a whole number from 0 to {ulong.MaxValue}");
            return value;
        }, 1UL);
        var timeout = errors.Try(() => root.Duration("timeout"), null) ?? Scenario.DefaultTimeout;
        var description = errors.Try(() => root.String("description"), null);

        int before = errors.Count;
        var segments = errors.Try(() => ReadSegments(root), null);
        if (segments is null) errors.ThrowIfAny();
        var hosts = ReadHosts(root, segments!, cast, errors);
        if (cast is { } c && hosts.All(h => h.Name != c.Host))
            errors.Add(root.ErrorAt(root.Get("hosts")!, $"the scenario has no host '{c.Host}' to be played by {c.PlayedBy}"));
        if (!root.Has("steps")) errors.Add(root.ErrorAt(root.Node, "a scenario needs 'steps'"));
        if (errors.Count > before) errors.ThrowIfAny();
        var references = new ScenarioReferences(file, hosts, segments!);
        errors.Try(() => ReadSegmentNotationSettings(root, references));
        var faults = root.Get("faults") is { } faultsNode ? new FaultReader(references, filters).Read(root, faultsNode, errors) : [];
        var steps = new StepReader(references, filters).ReadSteps(root, root.Get("steps")!, errors);
        errors.ThrowIfAny();

        return new Scenario
        {
            Name = name,
            File = file,
            Description = description,
            Seed = seed,
            Timeout = timeout,
            Segments = segments!,
            Hosts = hosts,
            Steps = steps,
            Faults = faults,
            StrictHosts = references.StrictHosts,
        };
    }

    /// <summary><c>connection: [x:5555, b:80]</c> (the default four-tuple of <c>tcp:</c> lines in segment notation)
    /// and <c>strict: true</c> (every host with a stack) or <c>strict: [b]</c>: each TCP segment those hosts send
    /// must be expected, in order, as packetdrill holds its local host.</summary>
    private static void ReadSegmentNotationSettings(YamlMapping root, ScenarioReferences references)
    {
        if (root.Get("connection") is { } connection) references.DefaultConnection = references.Connection(root, connection, "connection");
        if (root.Get("strict") is not { } strict) return;
        var hosts = new HashSet<string>(StringComparer.Ordinal);
        if (strict is YamlDotNet.RepresentationModel.YamlSequenceNode list)
            foreach (var item in list.Children)
            {
                var name = root.Scalar(item, "strict");
                var host = references.Hosts.FirstOrDefault(h => h.Name == name) ?? throw root.ErrorAt(item, $"'strict' names hosts: {references.UnknownHost(name)}");
                if (host.Scripted) throw root.ErrorAt(item, $"host '{name}' is scripted: it sends only what inject steps say, so 'strict' means nothing for it");
                hosts.Add(name);
            }
        else if (root.Boolean("strict") == true)
            foreach (var h in references.Hosts.Where(h => !h.Scripted)) hosts.Add(h.Name);
        references.StrictHosts = hosts;
    }

    private static List<SegmentSpec> ReadSegments(YamlMapping root)
    {
        if (root.Has("wire") && root.Has("segments"))
            throw root.ErrorAt(root.KeyNode("segments"), "use either 'wire' (one segment) or 'segments' (several), not both");
        var list = new List<SegmentSpec>();
        if (root.Get("segments") is { } segmentsNode)
        {
            var segments = new YamlMapping(root.At(segmentsNode).File, segmentsNode, "segments");
            foreach (var name in segments.Keys)
            {
                if (!ScenarioReferences.NamePattern().IsMatch(name))
                    throw segments.ErrorAt(segments.KeyNode(name), $"bad segment name '{name}': use letters, digits, '_' and '-', starting with a letter");
                list.Add(ReadSegment(segments, name, segments.Get(name)!));
            }
            if (list.Count == 0) throw root.ErrorAt(segmentsNode, "'segments' is empty: declare at least one");
        }
        else if (root.Get("wire") is { } wireNode)
            list.Add(ReadSegment(root, Scenario.DefaultSegment, wireNode));
        else
            list.Add(new SegmentSpec(Scenario.DefaultSegment, Duration.Zero, 0, 1500));
        return list;
    }

    private static SegmentSpec ReadSegment(YamlMapping parent, string name, YamlNode node)
    {
        if (node is YamlScalarNode { Value: null or "" }) return new SegmentSpec(name, Duration.Zero, 0, 1500);
        var m = new YamlMapping(parent.At(node).File, node, name == Scenario.DefaultSegment ? "wire" : $"segment '{name}'");
        m.AllowOnly(SegmentKeys);
        long bandwidth = 0;
        if (m.Get("bandwidth") is { } b)
        {
            var text = m.Scalar(b, "bandwidth");
            if (!TimeSyntax.TryParseRate(text, out bandwidth))
                throw m.ErrorAt(b, $"bad bandwidth '{text}': expected a rate like 100Mbit, 1Gbit or 64kbit");
        }
        var latency = m.Duration("latency") ?? Duration.Zero;
        var mtu = (int)(m.Integer("mtu", 68, 65535) ?? 1500);
        return new SegmentSpec(name, latency, bandwidth, mtu);
    }

    /// <summary>Reads every host, collecting each host's mistakes into <paramref name="errors"/>.</summary>
    private static List<HostSpec> ReadHosts(YamlMapping root, List<SegmentSpec> segments, (string Host, string PlayedBy)? cast, LoadErrors errors)
    {
        var hosts = new List<HostSpec>();
        var node = root.Get("hosts");
        if (node is null)
        {
            errors.Add(root.ErrorAt(root.Node, "a scenario needs 'hosts'"));
            return hosts;
        }
        var hostsMap = errors.Try(() => new YamlMapping(root.At(node).File, node, "hosts"), null);
        if (hostsMap is null) return hosts;
        if (hostsMap.Keys.Count == 0) errors.Add(root.ErrorAt(node, "'hosts' is empty: declare at least one host"));
        var macs = new Dictionary<MacAddress, string>();
        foreach (var name in hostsMap.Keys)
            errors.Try(() =>
            {
                var keyNode = hostsMap.KeyNode(name);
                if (!ScenarioReferences.NamePattern().IsMatch(name))
                    throw hostsMap.ErrorAt(keyNode, $"bad host name '{name}': use letters, digits, '_' and '-', starting with a letter");
                var host = ReadHost(hostsMap, name, hostsMap.Get(name)!, segments, cast is { } c && c.Host == name ? c.PlayedBy : null);
                var hostMapping = new YamlMapping(hostsMap.At(hostsMap.Get(name)!).File, hostsMap.Get(name)!, $"host '{name}'");
                if (hostMapping.Has("stack")) host = host with { Stack = StackSettingsReader.Read(hostMapping, host) };
                foreach (var i in host.Interfaces)
                    if (!macs.TryAdd(i.Mac, name))
                        throw hostsMap.ErrorAt(hostsMap.Get(name)!, $"host '{name}' reuses MAC {i.Mac} of host '{macs[i.Mac]}'");
                if (host.PlayedByLinux && hosts.FirstOrDefault(h => h.PlayedByLinux) is { } other)
                    throw hostsMap.ErrorAt(hostsMap.Get(name)!, $"host '{name}' and host '{other.Name}' are both played by Linux: one tap, one kernel host per scenario");
                hosts.Add(host);
            });
        return hosts;
    }

    private static HostSpec ReadHost(YamlMapping hostsMap, string name, YamlNode node, List<SegmentSpec> segments, string? castAs)
    {
        var m = new YamlMapping(hostsMap.At(node).File, node, $"host '{name}'");
        m.AllowOnly(HostKeys);
        bool scripted = m.Boolean("scripted") ?? false;
        (HostPlayer, ExternalPlayer?, YamlNode?) played;
        try
        {
            played = (castAs is not null ? new YamlScalarNode(castAs) : m.Get("played-by")) is { } playedBy
                ? ReadPlayedBy(m, playedBy, name, scripted)
                : (HostPlayer.Stack, null, null);
        }
        catch (ScenarioFormatException e) when (castAs is not null)
        {
            // The cast has no place in the file: say so at the host.
            throw m.ErrorAt(m.Node, $"cast as {castAs}: {e.Problem}");
        }
        var (player, external, playedServices) = played;
        bool linux = player == HostPlayer.Linux;
        if (player == HostPlayer.External && m.Has("ip6"))
            throw m.ErrorAt(m.KeyNode("ip6"), $"host '{name}' is played by an external implementation: 'ip6' is supported on hosts our stack or Linux plays and on scripted hosts (docs/ipv6.md)");
        if (scripted)
            foreach (var k in StackOnlyKeys)
                if (m.Has(k))
                    throw m.ErrorAt(m.KeyNode(k), $"host '{name}' is scripted (it has no stack), so '{k}' means nothing for it");
        var interfaces = new List<InterfaceSpec>();
        if (m.Get("interfaces") is { } list)
        {
            foreach (var k in new[] { "mac", "ip", "ip6", "segment", "mtu" })
                if (m.Has(k))
                    throw m.ErrorAt(m.KeyNode(k), $"host '{name}' has 'interfaces': put '{k}' on each interface instead");
            if (list is not YamlSequenceNode seq || seq.Children.Count == 0)
                throw m.ErrorAt(list, "'interfaces' must be a list of { segment, mac, ip }");
            foreach (var item in seq.Children)
            {
                var im = new YamlMapping(m.At(item).File, item, $"an interface of host '{name}'");
                im.AllowOnly(InterfaceKeys);
                var added = ReadInterface(im, segments, name);
                if (interfaces.Any(i => i.Segment == added.Segment))
                    throw im.ErrorAt(item, $"host '{name}' already has an interface on segment '{added.Segment}': one per segment");
                interfaces.Add(added);
            }
        }
        else
        {
            interfaces.Add(ReadInterface(m, segments, name));
        }

        if (player == HostPlayer.External && interfaces.Any(i => i.HasIpv6))
            throw m.ErrorAt(m.Node, $"host '{name}' has 'ip6', which hosts an external implementation plays do not support yet");
        if (scripted && interfaces.Any(i => i.Ipv6Slaac))
            throw m.ErrorAt(m.Node, $"host '{name}' is scripted: 'ip6: slaac' is for hosts our stack or Linux plays; give a static address");
        if (linux && interfaces.Count(i => i.HasIpv6) > 1)
            throw m.ErrorAt(m.Node, $"host '{name}' is played by Linux: 'ip6' on one interface only");
        var dad = m.Boolean("dad");
        if (dad is not null && !interfaces.Any(i => i.HasIpv6))
            throw m.ErrorAt(m.KeyNode("dad"), $"host '{name}' has no 'ip6': 'dad' turns duplicate address detection of its IPv6 addresses on or off");
        var routes = new List<RouteSpec>();
        if (m.Get("gateway") is { } gw)
        {
            var text = m.Scalar(gw, "gateway");
            if (!Ipv4Address.TryParse(text, out var gateway))
                throw m.ErrorAt(gw, $"bad address '{text}' for 'gateway': expected an IPv4 address like 192.0.2.1");
            routes.Add(CheckOnLink(m, gw, name, interfaces, new RouteSpec(new Ipv4Cidr(Ipv4Address.Any, 0), gateway, m.At(gw))));
        }
        if (m.Get("routes") is { } routesNode)
        {
            if (routesNode is not YamlSequenceNode seq)
                throw m.ErrorAt(routesNode, "'routes' must be a list like [\"10.0.0.0/8 via 192.0.2.1\"]");
            foreach (var item in seq.Children)
            {
                var text = m.Scalar(item, "routes");
                var match = RoutePattern().Match(text.Trim());
                if (!match.Success)
                    throw m.ErrorAt(item, $"bad route '{text}': expected 'PREFIX via GATEWAY', like 10.0.0.0/8 via 192.0.2.1 or default via 192.0.2.1");
                var prefixText = match.Groups["prefix"].Value;
                Ipv4Cidr prefix;
                if (prefixText == "default") prefix = new Ipv4Cidr(Ipv4Address.Any, 0);
                else if (!prefixText.Contains('/') || !Ipv4Cidr.TryParse(prefixText, out prefix))
                    throw m.ErrorAt(item, $"bad prefix '{prefixText}' in route: expected an address with prefix length like 10.0.0.0/8");
                if (!Ipv4Address.TryParse(match.Groups["gw"].Value, out var gateway))
                    throw m.ErrorAt(item, $"bad gateway '{match.Groups["gw"].Value}' in route: expected an IPv4 address");
                routes.Add(CheckOnLink(m, item, name, interfaces, new RouteSpec(prefix, gateway, m.At(item))));
            }
        }
        var ttl = m.Integer("ttl", 1, 255);
        var personality = Netstack.Transport.Tcp.TcpPersonality.Rfc;
        if (m.Get("personality") is { } pNode
            && !Netstack.Transport.Tcp.TcpSettings.TryParsePersonality(m.Scalar(pNode, "personality"), out personality))
            throw m.ErrorAt(pNode, $"unknown personality '{m.Scalar(pNode, "personality")}': expected rfc, linux or freebsd");
        var services = ReadServices(m, name, player, external, playedServices, scripted);
        if (external is { Known: { } known } && KnownExternalStacks.Problem(known, interfaces[0].Mac, interfaces[0].Address) is { } unfit)
            throw m.ErrorAt(castAs is null ? m.Get("played-by")! : m.Node, $"host '{name}' cannot be played by {known}: {unfit}");
        return new HostSpec(name, interfaces, routes, m.Boolean("forwarding") ?? false, m.Boolean("gratuitous-arp") ?? player == HostPlayer.Stack,
            ttl is { } t ? (byte)t : null, m.Location) {
                Scripted = scripted, PlayedBy = player, External = external, Services = services, Personality = personality,
                // Linux plays a host with a static address quietly unless asked; one that autoconfigures probes.
                DuplicateAddressDetection = dad ?? (!linux || interfaces.Any(i => i.Ipv6Slaac)),
            };
    }

    /// <summary><c>played-by: linux | stack | lwip | slirp</c>, or <c>{ run: COMMAND, interface: NAME, env: {...},
    /// services: [...], start-timeout: 5s }</c> for any implementation that brings up a tap.</summary>
    private static (HostPlayer, ExternalPlayer?, YamlNode?) ReadPlayedBy(YamlMapping m, YamlNode playedBy, string name, bool scripted)
    {
        HostPlayer player;
        ExternalPlayer? external = null;
        YamlNode? services = null;
        if (playedBy is YamlMappingNode)
        {
            var pm = new YamlMapping(m.At(playedBy).File, playedBy, $"'played-by' of host '{name}'");
            pm.AllowOnly(PlayedByKeys);
            var run = pm.Get("run") ?? throw pm.ErrorAt(playedBy, $"'played-by' of host '{name}' needs 'run': the command that starts the implementation");
            var ifNode = pm.Get("interface") ?? throw pm.ErrorAt(playedBy, $"'played-by' of host '{name}' needs 'interface': the tap its command creates");
            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            if (pm.Get("env") is { } envNode)
            {
                var em = new YamlMapping(pm.At(envNode).File, envNode, "env");
                foreach (var key in em.Keys)
                {
                    if (key.StartsWith("HARNESS_", StringComparison.Ordinal))
                        throw em.ErrorAt(em.KeyNode(key), $"environment variable {key}: the HARNESS_ variables are set by the harness");
                    env[key] = em.Scalar(em.Get(key)!, key);
                }
            }
            var timeout = pm.Duration("start-timeout") ?? Duration.FromSeconds(10);
            if (timeout <= Duration.Zero) throw pm.ErrorAt(pm.Get("start-timeout")!, "'start-timeout' must be longer than 0");
            external = new ExternalPlayer(null, pm.Scalar(run, "run"), pm.Scalar(ifNode, "interface"))
            {
                Environment = env,
                StartTimeout = timeout,
            };
            if (string.IsNullOrWhiteSpace(external.Command)) throw pm.ErrorAt(run, "'run' is empty: give the command that starts the implementation");
            var probe = new ExternalHostSpec(external.Command, external.Interface!, new Ipv4Cidr(Ipv4Address.Any, 0), MacAddress.Zero, 1500);
            if (probe.Problem() is { } problem) throw pm.ErrorAt(ifNode, problem);
            services = pm.Get("services");
            player = HostPlayer.External;
        }
        else
        {
            var text = m.Scalar(playedBy, "played-by");
            player = text switch
            {
                "linux" => HostPlayer.Linux,
                "stack" => HostPlayer.Stack,
                _ when KnownExternalStacks.Names.Contains(text) => HostPlayer.External,
                _ => throw m.ErrorAt(playedBy, $"bad value '{text}' for 'played-by': expected linux (the kernel on the tap wire) or stack (the default)" +
                    $"; or {string.Join(", ", KnownExternalStacks.Names)}, or {{ run: COMMAND, interface: NAME }} for another implementation"),
            };
            if (player == HostPlayer.External) external = new ExternalPlayer(text, null, null);
        }
        if (player == HostPlayer.Linux && scripted)
            throw m.ErrorAt(playedBy, $"host '{name}' cannot be both scripted and played by Linux");
        if (player == HostPlayer.External && scripted)
            throw m.ErrorAt(playedBy, $"host '{name}' cannot be both scripted and played by {external!.Title}");
        var who = player == HostPlayer.Linux ? "Linux" : external?.Title;
        // Linux (or the external stack) decides these for itself; a scenario that set them would mean something
        // else on each wire.
        foreach (var k in player == HostPlayer.External ? ExternalDecidesKeys : LinuxDecidesKeys)
            if (player != HostPlayer.Stack && m.Has(k))
                throw m.ErrorAt(m.KeyNode(k), $"host '{name}' is played by {who}, which decides '{k}' itself: remove it");
        if (player != HostPlayer.Stack && m.Has("interfaces"))
            throw m.ErrorAt(m.KeyNode("interfaces"), $"host '{name}' is played by {who} through one tap: give it one address (mac, ip) instead of 'interfaces'");
        return (player, external, services);
    }

    private static readonly string[] ExternalDecidesKeys = ["forwarding", "gratuitous-arp", "routes", "ttl"];

    /// <summary><c>services: [echo:7, discard:9, udp-echo:7]</c> on the host or in its <c>played-by</c> mapping. Our
    /// stack and Linux run the ones the harness knows; a known external stack must offer them; a command's host
    /// offers what it declares.</summary>
    private static List<ServiceSpec> ReadServices(YamlMapping m, string name, HostPlayer player, ExternalPlayer? external,
        YamlNode? inPlayedBy, bool scripted)
    {
        var node = m.Get("services");
        if (node is not null && inPlayedBy is not null)
            throw m.ErrorAt(m.KeyNode("services"), $"host '{name}' declares 'services' twice: keep the list in 'played-by'");
        node ??= inPlayedBy;
        var list = new List<ServiceSpec>();
        if (node is null) return list;
        if (scripted) throw m.ErrorAt(node, $"host '{name}' is scripted (it has no stack), so 'services' means nothing for it");
        if (node is not YamlSequenceNode seq)
            throw m.ErrorAt(node, "'services' must be a list like [echo:7, discard:9, udp-echo:7]");
        foreach (var item in seq.Children)
        {
            var text = m.Scalar(item, "services");
            int colon = text.LastIndexOf(':');
            if (colon <= 0 || !ushort.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out var port) || port == 0)
                throw m.ErrorAt(item, $"bad service '{text}': expected KIND:PORT, like echo:7, discard:9 or udp-echo:7");
            var service = new ServiceSpec(text[..colon], port);
            if (!ScenarioReferences.NamePattern().IsMatch(service.Kind))
                throw m.ErrorAt(item, $"bad service '{text}': the kind is a word like echo, discard, udp-echo or http");
            if (list.Any(s => s.Port == port && s.Kind.StartsWith("udp-", StringComparison.Ordinal) == service.Kind.StartsWith("udp-", StringComparison.Ordinal)))
                throw m.ErrorAt(item, $"host '{name}' already offers a service on {(service.Kind.StartsWith("udp-", StringComparison.Ordinal) ? "UDP" : "TCP")} port {port}");
            if (external?.Known is { } known)
            {
                if (!KnownExternalStacks.Offers(known).Contains(service))
                    throw m.ErrorAt(item, $"{known} does not offer {service} (it offers {string.Join(", ", KnownExternalStacks.Offers(known))})");
            }
            else if (player != HostPlayer.External && !ServiceSpec.Served.Contains(service.Kind))
                throw m.ErrorAt(item, $"unknown service '{service.Kind}': the harness runs {string.Join(", ", ServiceSpec.Served)} " +
                    "(a host played by { run: ... } may declare any service its command offers)");
            list.Add(service);
        }
        return list;
    }

    private static RouteSpec CheckOnLink(YamlMapping m, YamlNode node, string host, List<InterfaceSpec> interfaces, RouteSpec route)
    {
        if (interfaces.Any(i => route.Gateway.IsInSubnet(i.Address.Network, i.Address.PrefixLength)))
            return route;
        throw m.ErrorAt(node, $"gateway {route.Gateway} is not on any network of host '{host}' ({string.Join(", ", interfaces.Select(i => i.Address))})");
    }

    private static InterfaceSpec ReadInterface(YamlMapping m, List<SegmentSpec> segments, string host)
    {
        string segment;
        if (m.Get("segment") is { } segNode)
        {
            segment = m.Scalar(segNode, "segment");
            if (segments.All(s => s.Name != segment))
                throw m.ErrorAt(segNode, $"unknown segment '{segment}' (segments: {string.Join(", ", segments.Select(s => s.Name))})");
        }
        else if (segments.Count == 1) segment = segments[0].Name;
        else throw m.ErrorAt(m.Node, $"host '{host}' must say which segment it is on: 'segment:' one of {string.Join(", ", segments.Select(s => s.Name))}");

        var ipNode = m.Get("ip") ?? throw m.ErrorAt(m.Node, $"{m.What} needs 'ip', like ip: 192.0.2.10/24");
        var ipText = m.Scalar(ipNode, "ip");
        if (!ipText.Contains('/') || !Ipv4Cidr.TryParse(ipText, out var address) || address.PrefixLength is < 1 or > 32)
            throw m.ErrorAt(ipNode, $"bad address '{ipText}' for 'ip': expected an IPv4 address with prefix length, like 192.0.2.10/24");

        MacAddress mac;
        if (m.Get("mac") is { } macNode)
        {
            var macText = m.Scalar(macNode, "mac");
            if (!MacAddress.TryParse(macText, out mac))
                throw m.ErrorAt(macNode, $"bad MAC address '{macText}': expected six hex bytes like 02:00:00:00:00:0a");
            if (mac.IsMulticast || mac == MacAddress.Zero)
                throw m.ErrorAt(macNode, $"MAC address {mac} cannot be a host's: it is multicast or zero");
        }
        else
        {
            // Locally administered and derived from the address, so it is stable and readable: 02:00:c0:00:02:0a.
            mac = new MacAddress(0x0200_0000_0000UL | address.Address.Value);
        }
        var mtu = m.Integer("mtu", 68, 65535);
        Ipv6Cidr? ipv6 = null;
        bool slaac = false;
        if (m.Get("ip6") is { } ip6Node)
        {
            var ip6Text = m.Scalar(ip6Node, "ip6");
            if (ip6Text == "slaac") slaac = true;
            else if (!ip6Text.Contains('/') || !Ipv6Cidr.TryParse(ip6Text, out var cidr) || cidr.PrefixLength is < 1 or > 128
                || cidr.Address.IsMulticast || cidr.Address.IsUnspecified || cidr.Address.IsLoopback)
                throw m.ErrorAt(ip6Node, $"bad address '{ip6Text}' for 'ip6': expected a unicast IPv6 address with prefix length, like 2001:db8::10/64, or slaac");
            else ipv6 = cidr;
        }
        return new InterfaceSpec(segment, mac, address, mtu is { } v ? (int)v : null) { Ipv6 = ipv6, Ipv6Slaac = slaac };
    }
}
