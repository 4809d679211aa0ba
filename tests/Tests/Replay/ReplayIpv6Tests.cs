using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Drivers.Capture;
using Netstack.Harness.Replay;
using Netstack.Tests.Support;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Replay;

/// <summary>Replay of the IPv6 captures in captures/ (recorded by scripts/record-captures.sh between two namespaces
/// with IPv6 on: 2001:db8::1 and 2001:db8::2, neighbour discovery in place of ARP) and of the dual-stack one, in both
/// roles on the virtual wire; and a hand-built IPv6 capture whose replay must differ.</summary>
public class ReplayIpv6Tests
{
    private const string Server = "2001:db8::2", Client = "2001:db8::1";

    private static string Capture(string name) => Path.Combine(RepositoryPaths.Root, "captures", name + ".pcap");

    private static string Text(ReplayResult r) => string.Join("\n", r.Report.Lines());

    [TestCase("ping6", Server, 3, "frame 4 (after 3)  ICMPv6 echo reply id 31034 seq 1: equivalent to ours #2")]
    [TestCase("ping6", Client, 3, "frame 3 (after 2)  ICMPv6 echo request id 31034 seq 1: equivalent to ours #2")]
    [TestCase("ping6-fragmented", Server, 4, "frame 8 (after 5)  IPv6 fragment offset 2896 len 112: equivalent to ours #4")]
    [TestCase("ping6-fragmented", Client, 4, "frame 4 (after 2)  IPv6 fragment offset 1448 len 1448 MF: equivalent to ours #3")]
    [TestCase("udp6-echo", Server, 2, "frame 4 (after 3)  UDP 7007 > 55271 len 6 (IPv6): equivalent to ours #2")]
    [TestCase("udp6-echo", Client, 2, "frame 3 (after 2)  UDP 55271 > 7007 len 8 (IPv6): equivalent to ours #2")]
    [TestCase("tcp6-http", Server, 4, "frame 8 (after 6)  TCP 8080 > 44868 [P.] len 63 (IPv6): equivalent to ours #4")]
    [TestCase("tcp6-http", Client, 4, "frame 6 (after 4)  TCP 44868 > 8080 [P.] len 101 (IPv6): equivalent to ours #4")]
    public void Ipv6_capture_replays_equivalent_in_both_roles_and_our_recording_is_valid(string name, string role, int exchanges, string line)
    {
        var dir = RepositoryPaths.FreshOutputDirectory($"replay6-{name}-{role.Replace(':', '-')}");

        var result = ReplaySession.Run(Capture(name), role, outDir: dir);

        result.Report.Equivalent.Should().BeTrue(Text(result));
        result.Report.Exchanges.Should().HaveCount(exchanges, Text(result));
        result.Report.Lines().Should().Contain(line, Text(result));
        // Neighbour discovery is judged as ARP is: the server answers the solicitation, the client sends it.
        result.Report.Lines().First().Should().Be(role == Server
            ? "frame 2 (after 1)  NDP 2001:db8::2 is-at [SO]: equivalent to ours #1"
            : "frame 1            NDP who-has 2001:db8::2 tell 2001:db8::1: equivalent to ours #1");
        result.Report.Skipped.Should().BeEmpty("the captures are quiet: no DAD, router solicitation or MLD");
        TsharkValidator.RequireInstalled();
        var verdict = TsharkValidator.Validate(result.Report.OutputPath!);
        verdict.Clean.Should().BeTrue(verdict.ToString());
    }

    [TestCase("192.0.2.2")]
    [TestCase(Server)]
    [TestCase("192.0.2.1")]
    [TestCase(Client)]
    public void Dual_stack_capture_replays_both_families_whichever_address_names_the_endpoint(string role)
    {
        var result = ReplaySession.Run(Capture("dual-stack"), role);

        result.Report.Equivalent.Should().BeTrue(Text(result));
        result.Report.Exchanges.Should().HaveCount(6, Text(result));
        var flows = result.Report.Exchanges.Select(e => e.Flow).Distinct().ToList();
        flows.Should().Contain(["arp", "ndp"]);
        flows.Should().Contain(f => f.StartsWith("icmp echo 192.0.2."));
        flows.Should().Contain(f => f.StartsWith("tcp [2001:db8::"));
    }

    [Test]
    public void Ipv6_capture_with_warm_caches_primes_our_neighbour_cache()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay6-warm");
        var edit = new PcapEditor(Capture("tcp6-http"));
        edit.Records.RemoveRange(0, 2); // the solicitation and the advertisement
        var path = edit.Save(Path.Combine(dir, "warm.pcap"));

        var result = ReplaySession.Run(path, Client);

        result.Report.Equivalent.Should().BeTrue(Text(result));
        result.Report.Notes.Should().Contain("link               primed our neighbour cache with 1 captured neighbour (2001:db8::2 at 02:00:00:00:0b:02)");
        result.Ours.Should().NotContain(f => f.IsNdp, "with the cache primed our stack needs no neighbour discovery");
    }

    /// <summary>A capture built by hand: 2001:db8::1 solicits 2001:db8::2, which advertises itself with hop limit 64
    /// (RFC 4861 §7.1.2 demands 255), then pings it with 100 bytes and gets a reply whose data differs from the
    /// request's. Our stack, taking over 2001:db8::2, answers both correctly: both replies must be reported as
    /// differences, with the fields that differ.</summary>
    [Test]
    public void Hand_built_ipv6_capture_whose_replies_are_wrong_is_reported_different()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay6-hand-built");
        var path = Path.Combine(dir, "hand-built.pcap");
        var (a, b) = (Ipv6Address.Parse(Client), Ipv6Address.Parse(Server));
        const string macA = "02:00:00:00:0a:01", macB = "02:00:00:00:0b:02";
        var data = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        var wrong = (byte[])data.Clone();
        wrong[50] ^= 0xff;
        using (var sink = new PcapFileSink(path))
        {
            var ms = Duration.FromMilliseconds(1);
            sink.Write(new Instant(0), Icmpv6Frame(macA, "33:33:ff:00:00:02", a, b.SolicitedNodeMulticast, 255, 135, 0,
                [.. B(b), 1, 1, .. Mac(macA)]), new FrameContext("a", FrameDirection.Outbound));
            sink.Write(new Instant(0) + ms, Icmpv6Frame(macB, macA, b, a, 64, 136, 0x6000_0000,
                [.. B(b), 2, 1, .. Mac(macB)]), new FrameContext("b", FrameDirection.Outbound));
            sink.Write(new Instant(0) + ms * 2, Icmpv6Frame(macA, macB, a, b, 64, 128, 0x1234_0001, data), new FrameContext("a", FrameDirection.Outbound));
            sink.Write(new Instant(0) + ms * 3, Icmpv6Frame(macB, macA, b, a, 64, 129, 0x1234_0001, wrong), new FrameContext("b", FrameDirection.Outbound));
        }

        var (exit, stdout, _) = CliRunner.Run("replay", path, "--as", Server);

        exit.Should().Be(1, stdout);
        stdout.Should().Contain("frame 2 (after 1)  NDP 2001:db8::2 is-at [SO]: DIFFERENT from ours #1: hop limit 64 in capture, 255 ours");
        stdout.Should().Contain("frame 4 (after 3)  ICMPv6 echo reply id 4660 seq 1: DIFFERENT from ours #2: icmp data differs at byte 50");
        stdout.Should().EndWith("replay: DIFFERENT (2 differences, 0 equivalent)\n");
    }

    [Test]
    public void Extension_headers_are_walked_to_the_upper_layer()
    {
        var (a, b) = (Ipv6Address.Parse(Client), Ipv6Address.Parse(Server));
        // Hop-by-hop (8 bytes of padding), then a fragment header (first fragment, MF, id 7), then ICMPv6 echo.
        byte[] echo = [128, 0, 0, 0, 0x12, 0x34, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8];
        byte[] chain = [44, 0, 1, 4, 0, 0, 0, 0, 58, 0, 0, 1, 0, 0, 0, 7, .. echo];
        var frame = IpFrame("02:00:00:00:0a:01", "02:00:00:00:0b:02", a, b, 64, 0, chain);

        var f = new ReplayFrame(1, Instant.Zero, frame);

        f.IsIpv6.Should().BeTrue();
        f.ExtensionHeaders.Should().Be("0,44");
        f.HasFragmentHeader.Should().BeTrue();
        f.MoreFragments.Should().BeTrue();
        f.IpId.Should().Be(7u);
        f.IsEchoRequest.Should().BeTrue();
        (f.IcmpId, f.IcmpSequence).Should().Be(((ushort)0x1234, (ushort)9));
        f.IpHeaderLength.Should().Be(40 + 8 + 8);
        f.IpSource.Should().Be((IpAddress)a);
    }

    private static byte[] B(Ipv6Address a)
    {
        var b = new byte[16];
        a.Write(b);
        return b;
    }

    private static byte[] Mac(string mac)
    {
        var b = new byte[6];
        MacAddress.Parse(mac).Write(b);
        return b;
    }

    /// <summary>An ICMPv6 message (type, the 4-byte field, then <paramref name="body"/>) with its checksum.</summary>
    private static byte[] Icmpv6Frame(string src, string dst, Ipv6Address from, Ipv6Address to, byte hopLimit, byte type, uint field, byte[] body)
    {
        var message = new byte[8 + body.Length];
        message[0] = type;
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), field);
        body.CopyTo(message, 8);
        Icmpv6Packet.WriteChecksum(message, from, to);
        return IpFrame(src, dst, from, to, hopLimit, 58, message);
    }

    private static byte[] IpFrame(string src, string dst, Ipv6Address from, Ipv6Address to, byte hopLimit, byte next, byte[] payload)
    {
        var f = new byte[14 + 40 + payload.Length];
        MacAddress.Parse(dst).Write(f);
        MacAddress.Parse(src).Write(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x86dd);
        Ipv6Packet.WriteHeader(f.AsSpan(14), new Ipv6Header(from, to, (IpProtocol)next, payload.Length, hopLimit));
        payload.CopyTo(f, 54);
        return f;
    }
}
