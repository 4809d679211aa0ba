using System.Globalization;
using Netstack.Harness.Steps;
using Netstack.Harness.Trace;
using Netstack.Wire;
using YamlDotNet.RepresentationModel;

namespace Netstack.Harness.Scenarios;

/// <summary>Reads an <c>inject:</c> step: a whole frame as <c>hex</c>, or layers written as fields
/// (<c>ether</c>, then <c>arp</c>, or <c>ip</c> with <c>icmp</c> or <c>udp</c>). Omitted fields take the scripted
/// peer's own addresses or sensible defaults, so a frame is usually a line.</summary>
internal sealed class InjectReader(ScenarioReferences refs)
{
    public static readonly string[] Keys = ["from", "segment", "on", "hex", "pcap", "frame", "ether", "arp", "ip", "icmp", "udp", "tcp", "connection", "data", "ra"];

    /// <param name="m">The step's body, its keys already checked against <see cref="Keys"/>.</param>
    public Step Read(YamlMapping m)
    {
        var node = m.Node;
        if (!m.Has("from")) throw m.ErrorAt(node, "inject needs 'from': a host with 'scripted: true'");
        var peer = refs.ScriptedHost(m, "from");
        var iface = peer.Interfaces[0];
        var segmentKey = m.KeyOf("segment", "on");
        if (m.Has(segmentKey))
        {
            var segment = refs.Segment(m, segmentKey);
            iface = peer.Interfaces.FirstOrDefault(i => i.Segment == segment)
                    ?? throw m.ErrorAt(m.Get(segmentKey)!, $"host '{peer.Name}' is not on segment '{segment}'");
        }

        byte[]? frame;
        Func<IReadOnlyList<CapturedFrame>, byte[]>? build = null;
        string summary;
        var ways = new[] { "hex", "pcap" }.Where(m.Has).ToList();
        if (ways.Count > 1) throw m.ErrorAt(m.KeyNode(ways[1]), "give the frame one way: 'hex' or 'pcap', not both");
        if (m.Has("frame") && !m.Has("pcap")) throw m.ErrorAt(m.KeyNode("frame"), "'frame' picks a frame of a 'pcap' file: add pcap:");
        if (m.Get("pcap") is { } pcapNode)
        {
            foreach (var layer in new[] { "ether", "arp", "ip", "icmp", "udp", "tcp" })
                if (m.Has(layer)) throw m.ErrorAt(m.KeyNode(layer), "give the frame one way: 'pcap' or fields, not both");
            (frame, summary) = ReadFromCapture(m, pcapNode);
        }
        else if (m.Get("hex") is { } hexNode)
        {
            foreach (var layer in new[] { "ether", "arp", "ip", "icmp", "udp", "tcp" })
                if (m.Has(layer)) throw m.ErrorAt(m.KeyNode(layer), "give the frame one way: 'hex' or fields, not both");
            var text = m.Scalar(hexNode, "hex");
            if (!Payload.TryFromHex(text, out var p) || p.Bytes.Length < 14)
                throw m.ErrorAt(hexNode, "bad hex frame: expected pairs of hex digits, at least a 14-byte Ethernet header");
            frame = p.Bytes;
            summary = $"{frame.Length} bytes of hex";
        }
        else if (m.Get("ra") is { } raNode)
        {
            foreach (var other in new[] { "ether", "arp", "ip", "icmp", "udp", "tcp", "connection", "data" })
                if (m.Has(other)) throw m.ErrorAt(m.KeyNode(other), $"a router advertisement ('ra:') is built whole: '{other}' does not go with it");
            (frame, summary) = RouterAdvertisement(raNode, iface);
        }
        else if (m.Get("tcp") is YamlScalarNode notation)
        {
            foreach (var layer in new[] { "ether", "arp", "ip", "icmp", "udp" })
                if (m.Has(layer)) throw m.ErrorAt(m.KeyNode(layer), $"a segment in notation ('tcp: \"...\"') is built whole: '{layer}' does not go with it");
            (build, summary) = BuildFromNotation(m, notation, peer, iface);
            frame = null;
        }
        else
        {
            if (m.Has("connection")) throw m.ErrorAt(m.KeyNode("connection"), "'connection' goes with a segment in notation, like tcp: \"P. 1:4(3) ack 1\"");
            if (m.Has("data")) throw m.ErrorAt(m.KeyNode("data"), "'data' at this level is the payload of a segment in notation (tcp: \"P. 1:4(3) ack 1\"); a field-built segment takes it inside 'tcp:'");
            (frame, build, summary) = BuildFromFields(m, peer, iface);
        }
        return new InjectStep
        {
            From = peer.Name, Segment = iface.Segment, Frame = frame, Build = build,
            Summary = summary,
        };
    }

    private (byte[]? Frame, Func<IReadOnlyList<CapturedFrame>, byte[]>? Build, string Summary) BuildFromFields(YamlMapping m, HostSpec peer, InterfaceSpec iface)
    {
        YamlMapping? ether = m.Get("ether") is { } e ? Layer(e, "ether", ["src", "dst", "type"]) : null;
        MacAddress source = ether?.Get("src") is { } s ? Mac(ether, s, "src") : iface.Mac;

        if (m.Get("arp") is { } arpNode)
        {
            foreach (var layer in new[] { "ip", "icmp", "udp", "tcp" })
                if (m.Has(layer)) throw m.ErrorAt(m.KeyNode(layer), $"an ARP frame has no '{layer}' layer");
            var arp = Layer(arpNode, "arp", ["op", "sender-mac", "sender-ip", "target-mac", "target-ip"]);
            var opText = arp.String("op") ?? "request";
            ushort op = opText switch
            {
                "request" => 1,
                "reply" => 2,
                _ => throw arp.ErrorAt(arp.Get("op")!, $"'op' must be request or reply, found '{opText}'"),
            };
            var senderMac = arp.Get("sender-mac") is { } sm ? Mac(arp, sm, "sender-mac") : iface.Mac;
            var senderIp = arp.Get("sender-ip") is { } si ? refs.Address(arp, si, "sender-ip").Address : iface.Address.Address;
            if (!arp.Has("target-ip")) throw arp.ErrorAt(arp.Node, "arp needs 'target-ip' (an address or a host)");
            var targetIp = refs.Address(arp, arp.Get("target-ip")!, "target-ip").Address;
            var targetMac = arp.Get("target-mac") is { } tm ? Mac(arp, tm, "target-mac")
                : op == 2 ? MacOfAddress(targetIp) ?? MacAddress.Zero : MacAddress.Zero;
            var destination = ether?.Get("dst") is { } d ? Mac(ether, d, "dst") : op == 1 ? MacAddress.Broadcast : targetMac;
            var payload = FrameBuilder.Arp(op, senderMac, senderIp, targetMac, targetIp);
            return (FrameBuilder.Ethernet(destination, source, EtherType(ether, FrameBuilder.EtherTypeArp), payload), null,
                $"ARP {opText} {senderIp} -> {targetIp}");
        }

        if (m.Get("ip") is not { } ipNode)
            throw m.ErrorAt(m.Node, "inject needs the frame: 'hex', 'arp', or 'ip' with 'icmp' or 'udp'");
        var ip = Layer(ipNode, "ip", ["src", "dst", "ttl", "id", "tos", "df", "mf", "offset", "protocol", "total-length", "bad-checksum"]);
        if (!ip.Has("dst")) throw ip.ErrorAt(ip.Node, "ip needs 'dst' (an address or a host)");
        var ipDestination = refs.Address(ip, ip.Get("dst")!, "dst").Address;
        var ipSource = ip.Get("src") is { } src ? refs.Address(ip, src, "src").Address : iface.Address.Address;

        byte protocol;
        byte[] transport;
        string what;
        Func<IReadOnlyList<CapturedFrame>, byte[]>? buildTransport = null;
        var transports = new[] { "icmp", "udp", "tcp" }.Where(m.Has).ToList();
        if (transports.Count > 1)
            throw m.ErrorAt(m.KeyNode(transports[1]), $"one transport: '{transports[0]}' or '{transports[1]}', not both");
        if (m.Get("tcp") is { } tcpNode)
        {
            var tcp = Layer(tcpNode, "tcp", ["src-port", "dst-port", "flags", "seq", "ack", "win", "mss", "wscale", "sack-ok", "data", "hex", "size", "bad-checksum"]);
            if (!tcp.Has("dst-port")) throw tcp.ErrorAt(tcp.Node, "tcp needs 'dst-port'");
            var flagsText = tcp.String("flags") ?? ".";
            if (!TcpView.TryParseFlags(flagsText, out var flags))
                throw tcp.ErrorAt(tcp.Get("flags")!, $"bad TCP flags '{flagsText}': use tcpdump's letters S F R P U E W and '.' for ACK, like S, S., P., F., R");
            var data = StepReader.ReadPayload(tcp, required: false)?.Bytes ?? [];
            var template = new FrameBuilder.TcpFields((ushort)(tcp.Integer("src-port", 1, 65535) ?? 1024),
                (ushort)tcp.Integer("dst-port", 1, 65535)!.Value, (uint)(tcp.Integer("seq", 0, uint.MaxValue) ?? 0),
                (uint)(tcp.Integer("ack", 0, uint.MaxValue) ?? 0), flags)
            {
                Window = (ushort)(tcp.Integer("win", 0, 65535) ?? 65535),
                Mss = (ushort?)tcp.Integer("mss", 1, 65535),
                WindowScale = (byte?)tcp.Integer("wscale", 0, 14),
                SackPermitted = tcp.Boolean("sack-ok") ?? false,
                BadChecksum = tcp.Boolean("bad-checksum") ?? false,
            };
            var (from, to) = (ipSource, ipDestination);
            // seq is relative to this direction's ISN (its SYN on the wire) unless this is the SYN itself;
            // ack is relative to the other side's ISN. Both are resolved when the step runs.
            buildTransport = log =>
            {
                var self = new TcpView(from, template.SourcePort, to, template.DestinationPort, 0, 0, 0, 0, 0);
                uint seq = (flags & TcpView.Syn) != 0 ? template.Sequence
                    : template.Sequence + TcpFieldCheck.Isn(log, int.MaxValue, self, reverse: false);
                uint ack = (flags & TcpView.Ack) != 0 ? template.Acknowledgment + TcpFieldCheck.Isn(log, int.MaxValue, self, reverse: true) : 0;
                return FrameBuilder.Tcp(from, to, template with { Sequence = seq, Acknowledgment = ack }, data);
            };
            transport = [];
            protocol = 6;
            what = $"TCP [{flagsText}] to port {template.DestinationPort}";
        }
        else if (m.Get("icmp") is { } icmpNode)
        {
            var icmp = Layer(icmpNode, "icmp", ["type", "code", "id", "seq", "data", "hex", "size", "bad-checksum"]);
            var typeText = icmp.String("type") ?? "echo-request";
            byte type = typeText switch
            {
                "echo-request" => 8,
                "echo-reply" => 0,
                "unreachable" => 3,
                "time-exceeded" => 11,
                _ when byte.TryParse(typeText, NumberStyles.None, CultureInfo.InvariantCulture, out var t) => t,
                _ => throw icmp.ErrorAt(icmp.Get("type")!, $"ICMP 'type' must be echo-request, echo-reply, unreachable, time-exceeded or a number, found '{typeText}'"),
            };
            var data = StepReader.ReadPayload(icmp, required: false)?.Bytes ?? [];
            transport = FrameBuilder.Icmp(type, (byte)(icmp.Integer("code", 0, 255) ?? 0), (ushort)(icmp.Integer("id", 0, 65535) ?? 0),
                (ushort)(icmp.Integer("seq", 0, 65535) ?? 0), data, icmp.Boolean("bad-checksum") ?? false);
            protocol = 1;
            what = $"ICMP {typeText}";
        }
        else if (m.Get("udp") is { } udpNode)
        {
            var udp = Layer(udpNode, "udp", ["src-port", "dst-port", "data", "hex", "size", "bad-checksum", "checksum"]);
            if (!udp.Has("dst-port")) throw udp.ErrorAt(udp.Node, "udp needs 'dst-port'");
            var data = StepReader.ReadPayload(udp, required: false)?.Bytes ?? [];
            ushort dstPort = (ushort)udp.Integer("dst-port", 0, 65535)!.Value;
            transport = FrameBuilder.Udp(ipSource, ipDestination, (ushort)(udp.Integer("src-port", 0, 65535) ?? 1024), dstPort, data,
                udp.Boolean("bad-checksum") ?? false, (ushort?)udp.Integer("checksum", 0, 65535));
            protocol = 17;
            what = $"UDP to port {dstPort}";
        }
        else
        {
            transport = [];
            protocol = 0;
            what = "IP";
            if (!ip.Has("protocol")) throw ip.ErrorAt(ip.Node, "an IP frame needs 'icmp', 'udp', 'tcp', or 'protocol' (with an empty payload)");
        }
        var fields = new FrameBuilder.Ipv4Fields(ipSource, ipDestination, (byte)(ip.Integer("protocol", 0, 255) ?? protocol))
        {
            TimeToLive = (byte)(ip.Integer("ttl", 0, 255) ?? 64),
            Identification = (ushort)(ip.Integer("id", 0, 65535) ?? 0),
            TypeOfService = (byte)(ip.Integer("tos", 0, 255) ?? 0),
            DontFragment = ip.Boolean("df") ?? false,
            MoreFragments = ip.Boolean("mf") ?? false,
            FragmentOffset = (int)(ip.Integer("offset", 0, 65528) ?? 0),
            TotalLength = (int?)ip.Integer("total-length", 0, 65535),
            BadChecksum = ip.Boolean("bad-checksum") ?? false,
        };
        if (fields.FragmentOffset % 8 != 0) throw ip.ErrorAt(ip.Get("offset")!, "'offset' is in bytes and must be a multiple of 8");
        var etherDestination = ether?.Get("dst") is { } dn ? Mac(ether, dn, "dst") : MacOfAddress(ipDestination) ?? MacAddress.Broadcast;
        var etherType = EtherType(ether, FrameBuilder.EtherTypeIpv4);
        var summary = $"{what} {ipSource} -> {ipDestination}";
        if (buildTransport is not null)
            return (null, log => FrameBuilder.Ethernet(etherDestination, source, etherType, FrameBuilder.Ipv4(fields, buildTransport(log))), summary);
        return (FrameBuilder.Ethernet(etherDestination, source, etherType, FrameBuilder.Ipv4(fields, transport)), null, summary);
    }

    /// <summary><c>ra: { prefix: 2001:db8:1::/64, router-lifetime: 1800s, valid-lifetime: 2h, preferred-lifetime: 1h,
    /// mtu: 1500 }</c>: a router advertisement from the scripted router's link-local address (from its MAC) to all
    /// nodes, with one prefix for on-link use and SLAAC.</summary>
    private (byte[], string) RouterAdvertisement(YamlNode node, InterfaceSpec iface)
    {
        var ra = Layer(node, "ra", ["prefix", "router-lifetime", "valid-lifetime", "preferred-lifetime", "mtu"]);
        var prefixNode = ra.Get("prefix") ?? throw ra.ErrorAt(ra.Node, "ra needs 'prefix', like 2001:db8:1::/64");
        var prefixText = ra.Scalar(prefixNode, "prefix");
        if (!Ipv6Cidr.TryParse(prefixText, out var prefix) || prefix.PrefixLength is < 1 or > 128 || prefix.Address.IsMulticast || prefix.Address.IsLinkLocal)
            throw ra.ErrorAt(prefixNode, $"bad prefix '{prefixText}' for 'prefix': expected a global IPv6 prefix like 2001:db8:1::/64");
        uint Seconds(string key, Netstack.Time.Duration fallback, long max)
        {
            var d = ra.Duration(key) ?? fallback;
            long s = d.Nanoseconds / Netstack.Time.Duration.NanosecondsPerSecond;
            if (s < 0 || s > max) throw ra.ErrorAt(ra.Get(key)!, $"'{key}' must be 0 to {max} s");
            return (uint)s;
        }
        var routerLifetime = (ushort)Seconds("router-lifetime", Netstack.Time.Duration.FromSeconds(1800), 9000);
        var valid = Seconds("valid-lifetime", Netstack.Time.Duration.FromSeconds(86_400), uint.MaxValue);
        var preferred = Seconds("preferred-lifetime", Netstack.Time.Duration.FromSeconds(14_400), uint.MaxValue);
        if (preferred > valid) throw ra.ErrorAt(ra.Get("preferred-lifetime")!, "'preferred-lifetime' is longer than 'valid-lifetime': hosts ignore such a prefix (RFC 4862 §5.5.3)");
        var mtu = (uint?)ra.Integer("mtu", 1280, 65535);
        var frame = Ipv6FrameBuilder.RouterAdvertisement(iface.Mac, prefix, routerLifetime, valid, preferred, mtu);
        return (frame, $"router advertisement of {prefix.Network}/{prefix.PrefixLength}");
    }

    /// <summary><c>tcp: "P. 1:4(3) ack 1 win 8192 &lt;nop,nop,TS val 100 ecr *&gt;"</c> on the step's or the scenario's
    /// <c>connection:</c>, from the scripted end to the other. Sequence numbers count from this direction's ISN (the
    /// seq of its SYN on the wire: a SYN starting a connection is sent as written), <c>ack</c> and SACK blocks from the
    /// other's; a SYN into a live connection does not re-base them. <c>ecr *</c> echoes the other end's latest TS val.
    /// The payload is <c>data:</c> (its length must be the segment's) or zeros.</summary>
    private (Func<IReadOnlyList<CapturedFrame>, byte[]>, string) BuildFromNotation(YamlMapping m, YamlScalarNode node, HostSpec peer, InterfaceSpec iface)
    {
        var text = node.Value ?? "";
        var segment = Packetdrill.SegmentNotation.Parse(text, StepReader.ValueStart(m, node));
        var connection = m.Get("connection") is { } cn ? refs.Connection(m, cn, "connection") : refs.DefaultConnection;
        if (connection is null)
            throw m.ErrorAt(node, "a segment in notation needs a connection: add 'connection: [x:5555, b:80]' to the scenario or the step");
        if (connection.Sent(peer.Name) is not { } ends)
            throw m.ErrorAt(m.Get("from")!, $"host '{peer.Name}' is not an end of the connection {connection}");
        if (segment.Options.AnyOptions || segment.Options.Items.FirstOrDefault(o => o is Packetdrill.AnyOptionsWildcard or Packetdrill.TimestampOption { Value: null }) is not null)
            throw m.ErrorAt(node, "an injected segment is sent as written: '...' and 'TS val *' only go in an expect");
        if (segment.Options.Items.FirstOrDefault(o => o.UnsupportedReason is not null) is { } unsupported)
            throw new ScenarioFormatException(unsupported.Location, $"option '{unsupported}' cannot be injected: {unsupported.UnsupportedReason}");
        byte[] payload = new byte[segment.Length];
        if (m.Get("data") is { } dataNode)
        {
            var data = System.Text.Encoding.UTF8.GetBytes(m.Scalar(dataNode, "data"));
            if (data.Length != segment.Length)
                throw m.ErrorAt(dataNode, $"'data' is {data.Length} bytes but the segment says ({segment.Length})");
            payload = data;
        }
        var (from, to) = ends;
        var destinationMac = MacOfAddress(to.Address) ?? (to.Address.IsIpv4 ? MacAddress.Broadcast : to.Address.Ipv6.SolicitedNodeMulticast.MulticastMac);
        var sourceMac = iface.Mac;
        byte flags = Packetdrill.Execution.SegmentCodec.FlagBits(segment.Flags);
        Func<IReadOnlyList<CapturedFrame>, byte[]> build = log =>
        {
            var bases = new TcpSequenceBases();
            foreach (var f in log)
                if (TcpView.Read(f.Bytes) is { } t) bases.Observe(t);
            var (own, other) = bases.Current(from.Address, from.Port, to.Address, to.Port);
            bool fresh = segment.Flags.Syn && bases.WouldStartAfresh(from.Address, from.Port, to.Address, to.Port);
            uint seq = segment.AbsoluteSequence || fresh ? segment.Start : segment.Start + (own ?? 0);
            uint ack = segment.Ack is uint a ? a + (other ?? 0) : 0;
            uint peerIsn = other ?? 0;
            var options = Packetdrill.Execution.SegmentCodec.Options(segment.Options.Items, sack => sack + peerIsn,
                echo => echo);
            options = EchoLatest(options, segment.Options.Items, log, to, from);
            var tcp = Packetdrill.Execution.SegmentCodec.Tcp(from.Address.Ipv4, to.Address.Ipv4, from.Port, to.Port, seq, ack, flags,
                (ushort)(segment.Window ?? 65535), options, payload.Length);
            payload.CopyTo(tcp.AsSpan(tcp.Length - payload.Length));
            if (!from.Address.IsIpv4)
                return Ipv6FrameBuilder.Frame(destinationMac, sourceMac, from.Address.Ipv6, to.Address.Ipv6, Ipv6FrameBuilder.NextHeaderTcp, 64, tcp, 16);
            if (payload.Any(b => b != 0))
            {
                tcp[16] = tcp[17] = 0;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(16), FrameBuilder.TransportChecksum(from.Address.Ipv4, to.Address.Ipv4, 6, tcp));
            }
            var ip = FrameBuilder.Ipv4(new FrameBuilder.Ipv4Fields(from.Address.Ipv4, to.Address.Ipv4, 6) { TimeToLive = 64 }, tcp);
            return FrameBuilder.Ethernet(destinationMac, sourceMac, FrameBuilder.EtherTypeIpv4, ip);
        };
        return (build, $"{from.Port}>{to.Port} {text}");
    }

    /// <summary><c>ecr *</c> on an injected segment: the latest TS val the receiving end sent on this connection
    /// (0 before it sent one), written into the option bytes.</summary>
    private static byte[] EchoLatest(byte[] options, IReadOnlyList<Packetdrill.TcpOptionSpec> items, IReadOnlyList<CapturedFrame> log,
        (IpAddress Address, ushort Port) receiver, (IpAddress Address, ushort Port) sender)
    {
        if (!items.Any(o => o is Packetdrill.TimestampOption { Echo: null })) return options;
        uint latest = 0;
        for (int i = log.Count - 1; i >= 0; i--)
        {
            if (TcpView.Read(log[i].Bytes) is not { } t || t.Source != receiver.Address || t.SourcePort != receiver.Port ||
                t.Destination != sender.Address || t.DestinationPort != sender.Port) continue;
            if (Packetdrill.Execution.SegmentCodec.ReadTcp(TcpView.Segment(log[i].Bytes))?.TsVal is uint val)
            {
                latest = val;
                break;
            }
        }
        // The timestamp option's bytes: kind 8, length 10, TSval, TSecr; the echo is its last four.
        for (int i = 0; i + 10 <= options.Length;)
        {
            if (options[i] is 0 or 1) { i++; continue; }
            if (options[i] == 8)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(options.AsSpan(i + 6), latest);
                break;
            }
            i += Math.Max(2, (int)options[i + 1]);
        }
        return options;
    }

    /// <summary><c>pcap: FILE</c> (relative to the scenario file) and <c>frame: N</c> (1-based, default 1).</summary>
    private (byte[], string) ReadFromCapture(YamlMapping m, YamlNode pcapNode)
    {
        var relative = m.Scalar(pcapNode, "pcap");
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(refs.File)) ?? ".", relative);
        if (!File.Exists(path)) throw m.ErrorAt(pcapNode, $"capture not found: {relative} (looked for {path})");
        List<byte[]> frames;
        try
        {
            frames = CaptureFileReader.ReadFrames(path);
        }
        catch (FormatException e)
        {
            throw m.ErrorAt(pcapNode, $"cannot read capture {relative}: {e.Message}");
        }
        var number = (int)(m.Integer("frame", 1, int.MaxValue) ?? 1);
        if (number > frames.Count)
            throw m.ErrorAt(m.Get("frame") ?? pcapNode, $"capture {relative} has {frames.Count} frame{(frames.Count == 1 ? "" : "s")}, not {number}");
        return (frames[number - 1], $"frame {number} of {relative}");
    }

    private YamlMapping Layer(YamlNode node, string name, string[] keys)
    {
        var layer = new YamlMapping(refs.File, node, name);
        layer.AllowOnly(keys);
        return layer;
    }

    private static ushort EtherType(YamlMapping? ether, ushort natural) =>
        (ushort?)ether?.Integer("type", 0, 65535) ?? natural;

    /// <summary>A MAC written as six hex bytes, <c>broadcast</c>, or a host name (its MAC).</summary>
    private MacAddress Mac(YamlMapping m, YamlNode node, string key)
    {
        var text = m.Scalar(node, key);
        if (text == "broadcast") return MacAddress.Broadcast;
        if (MacAddress.TryParse(text, out var mac)) return mac;
        if (refs.Hosts.FirstOrDefault(h => h.Name == text) is { } host) return host.Interfaces[0].Mac;
        throw m.ErrorAt(node, $"bad MAC address '{text}' for '{key}': expected six hex bytes, 'broadcast', or a host name");
    }

    private MacAddress? MacOfAddress(IpAddress address) =>
        refs.Hosts.SelectMany(h => h.Interfaces).FirstOrDefault(i => address.IsIpv4 ? i.Address.Address == address.Ipv4 : i.Ipv6?.Address == address.Ipv6)?.Mac;
}
