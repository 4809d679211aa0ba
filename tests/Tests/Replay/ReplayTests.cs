using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Drivers.Capture;
using Netstack.Harness.Replay;
using Netstack.Tests.Support;
using Netstack.Time;
using NUnit.Framework;

namespace Netstack.Tests.Replay;

/// <summary><c>harness replay</c> against the captures of real Linux traffic in captures/ (recorded by
/// scripts/record-captures.sh): our stack takes over 192.0.2.2 and must answer as Linux did.</summary>
public class ReplayTests
{
    private const string Server = "192.0.2.2";

    private static string Capture(string name) => Path.Combine(RepositoryPaths.Root, "captures", name + ".pcap");

    private static (int Exit, string Out, string Err) Cli(params string[] args) => CliRunner.Run(args);

    [TestCase("arp-ping", 6, 3, 3)]
    [TestCase("ping-fragmented", 8, 4, 4)]
    [TestCase("udp-echo", 4, 2, 2)]
    [TestCase("tcp-http", 12, 4, 6)]
    [TestCase("tcp-refused", 4, 2, 2)]
    public void Shipped_capture_replays_equivalent_and_our_recording_is_valid(string name, int captured, int exchanges, int oursSent)
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay-" + name);

        var result = ReplaySession.Run(Capture(name), Server, outDir: dir);

        var text = string.Join("\n", result.Report.Lines());
        result.Report.Equivalent.Should().BeTrue(text);
        result.Captured.Should().HaveCount(captured);
        result.Report.Exchanges.Should().HaveCount(exchanges, text);
        result.Ours.Should().HaveCount(oursSent, text);
        result.Report.OutputPath.Should().Be(Path.Combine(dir, name + ".replay.pcap"));

        TsharkValidator.RequireInstalled();
        var verdict = TsharkValidator.Validate(result.Report.OutputPath!);
        verdict.Clean.Should().BeTrue(verdict.ToString());
        // The recording holds the injected frames and ours: every captured peer frame plus what we sent.
        verdict.Frames.Should().Be(result.Captured.Count(f => f.EthSource != "02:00:00:00:0b:02") + oursSent);
    }

    [TestCase("udp-echo", 2)]
    [TestCase("tcp-http", 4)]
    [TestCase("tcp-refused", 2)]
    public void Client_side_of_a_shipped_capture_replays_equivalent(string name, int exchanges)
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay-client-" + name);

        var result = ReplaySession.Run(Capture(name), "192.0.2.1", outDir: dir);

        var text = string.Join("\n", result.Report.Lines());
        result.Report.Equivalent.Should().BeTrue(text);
        result.Report.Exchanges.Should().HaveCount(exchanges, text);
        result.Report.Lines().First().Should().StartWith("frame 1            ARP who-has 192.0.2.2 tell 192.0.2.1: equivalent to ours #1");
        TsharkValidator.RequireInstalled();
        var verdict = TsharkValidator.Validate(result.Report.OutputPath!);
        verdict.Clean.Should().BeTrue(verdict.ToString());
    }

    [TestCase("arp-ping", 3)]
    [TestCase("ping-fragmented", 4)]
    public void Echo_requests_of_the_replayed_endpoint_are_sent_again_with_their_id_sequence_and_data(string name, int exchanges)
    {
        var result = ReplaySession.Run(Capture(name), "192.0.2.1");

        var text = string.Join("\n", result.Report.Lines());
        result.Report.Equivalent.Should().BeTrue(text);
        result.Report.Exchanges.Should().HaveCount(exchanges, text);
        var captured = result.Captured.First(f => f.IsIcmp && f.IcmpType == 8);
        var ours = result.Ours.First(f => f.IsIcmp && f.IcmpType == 8);
        (ours.IcmpId, ours.IcmpSequence).Should().Be((captured.IcmpId, captured.IcmpSequence));
        ours.L4.ToArray().Should().Equal(captured.L4.ToArray(), "the captured data, timestamp included, goes out again");
    }

    [Test]
    public void Tcp_conversation_is_compared_after_the_peer_follows_our_isn()
    {
        var result = ReplaySession.Run(Capture("tcp-http"), Server);

        var synAck = result.Ours.Single(f => f.IsTcp && f.Has(ReplayFrame.Syn));
        var capturedSynAck = result.Captured.Single(f => f.IsTcp && f.Has(ReplayFrame.Syn) && f.Has(ReplayFrame.AckFlag));
        synAck.Seq.Should().NotBe(capturedSynAck.Seq, "the seeded ISN differs from Linux's, so the rewrite is exercised");
        var response = result.Ours.Single(f => f.TcpPayloadLength > 0);
        System.Text.Encoding.ASCII.GetString(response.TcpPayload).Should().StartWith("HTTP/1.1 200 OK\r\n");
        response.Seq.Should().Be(synAck.Seq + 1);
        response.Ack.Should().Be(capturedSynAck.Ack + 97, "the 97-byte request was received");
        var fin = result.Ours.Single(f => f.IsTcp && f.Has(ReplayFrame.Fin));
        fin.Seq.Should().Be(synAck.Seq + 1 + 63);
        result.Report.Lines().Should().Contain(l => l.Contains("frame 11 (after 10) TCP 8080 > 50324 [F.] len 0: equivalent to ours #"));
    }

    [Test]
    public void Pcapng_capture_replays_like_its_pcap()
    {
        var ng = ReplaySession.Run(Path.Combine(RepositoryPaths.Root, "captures", "tcp-http-pcapng.pcapng"), Server);
        var classic = ReplaySession.Run(Capture("tcp-http"), Server);

        ng.Report.Equivalent.Should().BeTrue(string.Join("\n", ng.Report.Lines()));
        ng.Report.Lines().Should().Equal(classic.Report.Lines());
        ng.Ours.Select(f => f.Bytes).Should().BeEquivalentTo(classic.Ours.Select(f => f.Bytes), o => o.WithStrictOrdering());
    }

    [Test]
    public void Fins_that_crossed_in_the_capture_are_equivalent_when_ours_acknowledges_the_peers()
    {
        // tcp-http's server FIN (frame 11) acknowledges the client's FIN (frame 10). Made to leave before that FIN
        // arrived (ack one less) and followed by the server's ACK of it, the capture shows a simultaneous close; in
        // the replay our FIN follows the client's, so it acknowledges it: the applications' timing, not a
        // difference of the stack. (Without the later ACK it is a difference: Edited_tcp_acknowledgment_is_a_difference.)
        var editor = new PcapEditor(Capture("tcp-http"));
        var fin = editor.Records[10];
        var ack = (Header: fin.Header.ToArray(), Frame: fin.Frame.ToArray());
        SetAck(fin.Frame, -1, fin: true);
        SetAck(ack.Frame, 0, fin: false);
        BinaryPrimitives.WriteUInt32LittleEndian(ack.Header.AsSpan(4), BinaryPrimitives.ReadUInt32LittleEndian(ack.Header.AsSpan(4)) + 1);
        editor.Records.Add(ack); // 1 µs after the FIN; placed before the client's last ACK, in time order
        editor.Records.Reverse(11, 2);
        var crossed = editor.Save(Path.Combine(RepositoryPaths.FreshOutputDirectory("replay-crossed-fins"), "crossed.pcap"));

        var result = ReplaySession.Run(crossed, Server);

        var text = string.Join("\n", result.Report.Lines());
        result.Report.Equivalent.Should().BeTrue(text);
        text.Should().Contain("ack 1572366859 in capture, 1572366860 ours: the peer's FIN crossed this segment on the wire in the capture, and the endpoint acknowledged it afterwards (frame 12)");
    }

    /// <summary>Sets a TCP segment's flags to ACK (with FIN when <paramref name="fin"/>), moves its acknowledgment
    /// number by <paramref name="change"/> and fixes its checksum.</summary>
    private static void SetAck(byte[] frame, int change, bool fin)
    {
        var tcp = frame.AsSpan(14 + 20);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], (uint)(BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]) + change));
        tcp[13] = (byte)(fin ? 0x11 : 0x10);
        tcp[16] = tcp[17] = 0;
        var source = new Netstack.Wire.Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(14 + 12)));
        var destination = new Netstack.Wire.Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(14 + 16)));
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], Netstack.Harness.Trace.FrameBuilder.TransportChecksum(source, destination, 6, tcp));
    }

    /// <summary>tcp-http with the client closing while the server's response was in flight: the client's FIN
    /// (frame 10) acknowledges nothing of the response (63 bytes, frame 8, which acknowledges the request but
    /// not that FIN) and the client's ACK of the response (frame 9) is gone; with <paramref name="acknowledgedLater"/>
    /// the client's last ACK (frame 12) still acknowledges the response and the server's FIN, else it is gone too.</summary>
    private static string DataCrossingFin(bool acknowledgedLater)
    {
        var editor = new PcapEditor(Capture("tcp-http"));
        SetAck(editor.Frame(10), -63, fin: true);
        if (!acknowledgedLater) editor.Records.RemoveAt(11);
        editor.Records.RemoveAt(8);
        var name = acknowledgedLater ? "crossed" : "never-acknowledged";
        return editor.Save(Path.Combine(RepositoryPaths.FreshOutputDirectory("replay-data-crossing-fin-" + name), name + ".pcap"));
    }

    [Test]
    public void Data_that_crossed_our_fin_in_the_capture_is_equivalent_when_ours_acknowledges_it()
    {
        // In the capture the response crossed the client's FIN; in the replay our client closes at the FIN's
        // captured time, after the response was injected, so its FIN acknowledges the 63 bytes.
        var result = ReplaySession.Run(DataCrossingFin(acknowledgedLater: true), "192.0.2.1");

        var text = string.Join("\n", result.Report.Lines());
        result.Report.Equivalent.Should().BeTrue(text);
        text.Should().MatchRegex(@"frame 9 \(after 8\) +TCP 50324 > 8080 \[F\.\] len 0: equivalent to ours");
        text.Should().Contain("ack 963608566 in capture, 963608629 ours: the peer's 63 bytes crossed this segment on the wire in the capture, and the endpoint acknowledged it afterwards (frame 11)");
    }

    [Test]
    public void Acknowledging_peer_data_the_endpoint_never_acknowledged_is_a_difference()
    {
        // The same close, but the client never acknowledged the response: ours acknowledging it is a difference.
        var result = ReplaySession.Run(DataCrossingFin(acknowledgedLater: false), "192.0.2.1");

        var text = string.Join("\n", result.Report.Lines());
        result.Report.Equivalent.Should().BeFalse(text);
        text.Should().MatchRegex(@"frame 9 \(after 8\) +TCP 50324 > 8080 \[F\.\] len 0: DIFFERENT from ours #\d+: ack 963608566 in capture, 963608629 ours");
        text.Should().NotContain("crossed");
    }

    /// <summary>A capture built by hand, taken behind a lossy link at the server: the client (192.0.2.1) sends 100
    /// bytes, then 50 that are lost before the capture point, then its FIN, which arrives first; the 50 bytes'
    /// retransmission follows, and the server acknowledges everything. The client application closed after writing
    /// all 150 bytes, so our client must send them all before its FIN (it closed after 100 when the replay took the
    /// FIN's capture time for the close: FIN at byte 100 ours, 150 in the capture).</summary>
    [Test]
    public void Fin_that_overtook_a_retransmission_in_the_capture_follows_the_retransmitted_bytes()
    {
        var path = Path.Combine(RepositoryPaths.FreshOutputDirectory("replay-fin-overtook"), "fin-overtook.pcap");
        var (client, server) = ((Netstack.Wire.IpAddress)Netstack.Wire.Ipv4Address.Parse("192.0.2.1"), (Netstack.Wire.IpAddress)Netstack.Wire.Ipv4Address.Parse(Server));
        const string macClient = "02:00:00:00:0a:01", macServer = "02:00:00:00:0b:02";
        const uint c = 1000, s = 5000; // the ISNs
        var first = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        var lost = Enumerable.Range(100, 50).Select(i => (byte)i).ToArray();
        const int syn = ReplayFrame.Syn, ack = ReplayFrame.AckFlag, fin = ReplayFrame.Fin, psh = ReplayFrame.Psh;
        byte[] FromClient(uint seq, uint ackNumber, int flags, byte[]? data = null) => Segment(macClient, macServer, client, server, 40000, 8080, seq, ackNumber, flags, data);
        byte[] FromServer(uint seq, uint ackNumber, int flags) => Segment(macServer, macClient, server, client, 8080, 40000, seq, ackNumber, flags, null);
        using (var sink = new PcapFileSink(path))
        {
            int at = 0;
            void Write(byte[] frame) => sink.Write(new Instant(0) + Duration.FromMilliseconds(10 * at++), frame, new FrameContext("capture", FrameDirection.Inbound));
            Write(FromClient(c, 0, syn));
            Write(FromServer(s, c + 1, syn | ack));
            Write(FromClient(c + 1, s + 1, ack));
            Write(FromClient(c + 1, s + 1, psh | ack, first));
            Write(FromServer(s + 1, c + 101, ack));
            // (the client's 50 bytes at c + 101 are lost here)
            Write(FromClient(c + 151, s + 1, fin | ack));
            Write(FromServer(s + 1, c + 101, ack)); // a duplicate ACK: the FIN is out of order
            Write(FromClient(c + 101, s + 1, psh | ack, lost)); // the retransmission
            Write(FromServer(s + 1, c + 152, ack));
            Write(FromServer(s + 1, c + 152, fin | ack));
            Write(FromClient(c + 152, s + 2, ack));
        }

        var result = ReplaySession.Run(path, "192.0.2.1");

        var text = string.Join("\n", result.Report.Lines());
        result.Report.Equivalent.Should().BeTrue(text);
        text.Should().Contain("data: 150 bytes in 2 segments");
        text.Should().Contain("SYN/FIN/RST: SYN, FIN at byte 150: equivalent");
        result.Ours.Where(f => f.IsTcp && f.Has(ReplayFrame.Fin)).Should().ContainSingle().Which.Seq.Should().Be(
            unchecked(result.Ours.First(f => f.IsTcp && f.Has(ReplayFrame.Syn)).Seq + 151), text);

        static byte[] Segment(string srcMac, string dstMac, Netstack.Wire.IpAddress src, Netstack.Wire.IpAddress dst, ushort srcPort, ushort dstPort,
            uint seq, uint ackNumber, int flags, byte[]? data)
        {
            var header = SyntheticFrames.TcpSegment(srcMac, dstMac, src, dst, srcPort, dstPort, seq, ackNumber, (byte)flags, false, 0, 0);
            if (data is null) return header;
            var frame = new byte[header.Length + data.Length];
            header.CopyTo(frame, 0);
            data.CopyTo(frame, header.Length);
            var ip = frame.AsSpan(14, 20);
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(frame.Length - 14));
            ip[10] = ip[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Netstack.Wire.Checksum.Compute(ip));
            var tcp = frame.AsSpan(14 + 20);
            tcp[16] = tcp[17] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], Netstack.Harness.Trace.FrameBuilder.TransportChecksum(src.Ipv4, dst.Ipv4, 6, tcp));
            return frame;
        }
    }

    [Test]
    public void Capture_whose_records_are_out_of_time_order_replays_in_time_order()
    {
        // Merged or multi-interface captures can hold records out of time order; the wire order is the time order.
        var editor = new PcapEditor(Capture("tcp-http"));
        var last = editor.Records[^1];
        editor.Records.RemoveAt(editor.Records.Count - 1);
        editor.Records.Insert(0, last); // the FIN-ACK's record first in the file, its timestamp unchanged
        var shuffled = editor.Save(Path.Combine(RepositoryPaths.FreshOutputDirectory("replay-out-of-order"), "shuffled.pcap"));

        var result = ReplaySession.Run(shuffled, Server);
        var classic = ReplaySession.Run(Capture("tcp-http"), Server);

        result.Report.Equivalent.Should().BeTrue(string.Join("\n", result.Report.Lines()));
        result.Ours.Select(f => f.Bytes).Should().BeEquivalentTo(classic.Ours.Select(f => f.Bytes), o => o.WithStrictOrdering(),
            "the same frames at the same times as from the capture in order");
    }

    [TestCase("2")]
    [TestCase("12345")]
    public void Other_seeds_give_other_isns_and_the_same_verdict(string seed)
    {
        var (exit, stdout, _) = Cli("replay", Capture("tcp-http"), "--as", Server, "--seed", seed);

        exit.Should().Be(0, stdout);
        stdout.Should().EndWith("replay: EQUIVALENT (4 exchanges)\n");
        var isn = ReplaySession.Run(Capture("tcp-http"), Server, seed: ulong.Parse(seed)).Ours.Single(f => f.Has(ReplayFrame.Syn)).Seq;
        isn.Should().NotBe(ReplaySession.Run(Capture("tcp-http"), Server).Ours.Single(f => f.Has(ReplayFrame.Syn)).Seq);
    }

    [Test]
    public void Replay_is_deterministic()
    {
        var a = ReplaySession.Run(Capture("tcp-http"), Server, outDir: RepositoryPaths.FreshOutputDirectory("replay-det-a"));
        var b = ReplaySession.Run(Capture("tcp-http"), Server, outDir: RepositoryPaths.FreshOutputDirectory("replay-det-b"));

        File.ReadAllBytes(a.Report.OutputPath!).Should().Equal(File.ReadAllBytes(b.Report.OutputPath!));
    }

    [Test]
    public void Mac_option_replaces_the_captured_mac()
    {
        var result = ReplaySession.Run(Capture("arp-ping"), Server, mac: "02:00:00:00:00:99");

        result.Report.Equivalent.Should().BeTrue(string.Join("\n", result.Report.Lines()));
        result.Ours.Should().OnlyContain(f => f.EthSource == "02:00:00:00:00:99");
        result.Ours[0].ArpSenderMac.Should().Be("02:00:00:00:00:99");
    }

    [Test]
    public void Cli_prints_one_line_per_exchange_and_exits_0_when_equivalent()
    {
        var (exit, stdout, _) = Cli("replay", Capture("arp-ping"), "--as", Server);

        exit.Should().Be(0, stdout);
        stdout.Should().Contain("frame 4 (after 3)  ICMP echo reply id ");
        stdout.Should().Contain("seq 1: equivalent to ours #2");
        stdout.Should().Contain("ARP 192.0.2.2 is-at 02:00:00:00:0b:02: equivalent to ours #1 (tolerated: Ethernet padding (42 bytes in capture, 60 ours))");
        stdout.Should().EndWith("replay: EQUIVALENT (3 exchanges)\n");
    }

    [Test]
    public void Edited_icmp_reply_in_the_capture_is_a_difference_and_exit_1()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay-edited-icmp");
        var edit = new PcapEditor(Capture("arp-ping"));
        edit.Frame(4)[14 + 20 + 8 + 10] ^= 0xff; // a data byte of the first echo reply
        var path = edit.Save(Path.Combine(dir, "edited.pcap"));

        var (exit, stdout, _) = Cli("replay", path, "--as", Server);

        exit.Should().Be(1, stdout);
        stdout.Should().Contain("seq 1: DIFFERENT from ours #2: icmp data differs at byte 10");
        stdout.Should().Contain("seq 2: equivalent to ours #3");
        stdout.Should().Contain("replay: DIFFERENT (1 differences, 2 equivalent)");
    }

    [Test]
    public void Edited_ttl_is_named_with_both_values()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay-edited-ttl");
        var edit = new PcapEditor(Capture("arp-ping"));
        edit.Frame(6)[14 + 8] = 128;
        var path = edit.Save(Path.Combine(dir, "edited.pcap"));

        var result = ReplaySession.Run(path, Server);

        result.Report.Equivalent.Should().BeFalse();
        result.Report.Lines().Should().Contain(l => l.StartsWith("frame 6 (after 5)") && l.EndsWith("DIFFERENT from ours #3: ttl 128 in capture, 64 ours"));
    }

    [Test]
    public void Edited_tcp_acknowledgment_is_a_difference()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay-edited-tcp");
        var edit = new PcapEditor(Capture("tcp-http"));
        var fin = edit.Frame(11);
        uint ack = BinaryPrimitives.ReadUInt32BigEndian(fin.AsSpan(14 + 20 + 8));
        BinaryPrimitives.WriteUInt32BigEndian(fin.AsSpan(14 + 20 + 8), ack - 1);
        var path = edit.Save(Path.Combine(dir, "edited.pcap"));

        var (exit, stdout, _) = Cli("replay", path, "--as", Server);

        exit.Should().Be(1, stdout);
        stdout.Should().Contain($"frame 11 (after 10) TCP 8080 > 50324 [F.] len 0: DIFFERENT from ours #6: ack {ack - 1} in capture, {ack} ours");
        // The last acknowledgment the capture shows is now the edited one, so the ACK summary differs too.
        stdout.Should().Contain("replay: DIFFERENT (2 differences, 3 equivalent)");
    }

    [Test]
    public void Response_missing_from_the_capture_makes_ours_an_extra()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay-missing");
        var edit = new PcapEditor(Capture("arp-ping"));
        edit.Records.RemoveAt(5); // frame 6: the second echo reply
        var path = edit.Save(Path.Combine(dir, "edited.pcap"));

        var result = ReplaySession.Run(path, Server);

        result.Report.Equivalent.Should().BeFalse();
        result.Report.Lines().Should().Contain(l => l.StartsWith("extra") && l.Contains("ICMP echo reply") && l.EndsWith("DIFFERENT: ours #3 has no counterpart in the capture"));
    }

    [Test]
    public void Missing_capture_is_bad_input()
    {
        var (exit, _, stderr) = Cli("replay", "no/such.pcap", "--as", Server);

        exit.Should().Be(2);
        stderr.Should().Be("harness: no/such.pcap: no such capture file\n");
    }

    [Test]
    public void Truncated_capture_is_reported_with_the_byte_offset()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay-truncated");
        var edit = new PcapEditor(Capture("tcp-http"));
        var path = Path.Combine(dir, "truncated.pcap");
        File.WriteAllBytes(path, File.ReadAllBytes(Capture("tcp-http"))[..(edit.OffsetOf(8) + 16 + 21)]);

        var (exit, _, stderr) = Cli("replay", path, "--as", Server);

        exit.Should().Be(2);
        stderr.Should().Be($"harness: {path}: truncated or corrupt at byte {edit.OffsetOf(8)} (record 8): truncated dump file; tried to read 129 captured bytes, only got 21\n");
    }

    [Test]
    public void Corrupt_record_header_is_reported_with_the_byte_offset()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay-corrupt");
        var edit = new PcapEditor(Capture("arp-ping"));
        BinaryPrimitives.WriteInt32LittleEndian(edit.Records[2].Header.AsSpan(8), 0x7fffffff); // caplen of record 3
        var path = edit.Save(Path.Combine(dir, "corrupt.pcap"));

        var (exit, _, stderr) = Cli("replay", path, "--as", Server);

        exit.Should().Be(2);
        stderr.Should().StartWith($"harness: {path}: truncated or corrupt at byte {edit.OffsetOf(3)} (record 3): ");
        stderr.Split('\n').Should().HaveCount(2, "one line, no stack trace");
    }

    [Test]
    public void File_that_is_not_a_capture_is_bad_input()
    {
        var path = Path.Combine(RepositoryPaths.FreshOutputDirectory("replay-text"), "text.pcap");
        File.WriteAllText(path, "this is not a capture file at all");

        var (exit, _, stderr) = Cli("replay", path, "--as", Server);

        exit.Should().Be(2);
        stderr.Should().Be($"harness: {path}: Unable to open offline adapter: unknown file format\n");
    }

    [TestCase("--as", "192.0.2.9", "harness: {0}: 192.0.2.9 does not appear in the capture\n")]
    [TestCase("--as", "192.0.2", "harness: --as: '192.0.2' is not an IPv4 or IPv6 address\n")]
    [TestCase("--mac", "zz", "harness: --mac: 'zz' is not a MAC address\n")]
    public void Bad_arguments_are_bad_input(string option, string value, string expected)
    {
        var path = Capture("arp-ping");
        var args = option == "--as" ? new[] { "replay", path, "--as", value } : ["replay", path, "--as", Server, option, value];

        var (exit, _, stderr) = Cli(args);

        exit.Should().Be(2);
        stderr.Should().Be(string.Format(expected, path));
    }

    [Test]
    public void Missing_as_option_is_bad_input()
    {
        var (exit, _, stderr) = Cli("replay", Capture("arp-ping"));

        exit.Should().Be(2);
        stderr.Should().StartWith("harness: Option '--as' is required.");
    }

    [Test]
    public void Empty_capture_is_bad_input()
    {
        var path = Path.Combine(RepositoryPaths.FreshOutputDirectory("replay-empty"), "empty.pcap");
        File.WriteAllBytes(path, File.ReadAllBytes(Capture("arp-ping"))[..24]);

        var (exit, _, stderr) = Cli("replay", path, "--as", Server);

        exit.Should().Be(2);
        stderr.Should().Be($"harness: {path}: the capture holds no frames\n");
    }

    [Test]
    public void Capture_that_is_not_ethernet_is_bad_input()
    {
        var path = Path.Combine(RepositoryPaths.FreshOutputDirectory("replay-sll"), "sll.pcap");
        var bytes = File.ReadAllBytes(Capture("arp-ping"));
        bytes[20] = 113; // LINKTYPE_LINUX_SLL, what `tcpdump -i any` writes
        File.WriteAllBytes(path, bytes);

        var (exit, _, stderr) = Cli("replay", path, "--as", Server);

        exit.Should().Be(2);
        stderr.Should().Be($"harness: {path}: link type LinuxSll is not Ethernet (capture on an Ethernet interface, not 'any')\n");
    }

    [Test]
    public void Flow_with_a_frame_cut_by_the_snapshot_length_is_skipped_with_a_note_and_the_rest_judged()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay-snaplen");
        var edit = new PcapEditor(Capture("arp-ping"));
        var request = edit.Records[2]; // frame 3: the first echo request, cut after the ICMP header
        edit.Records[2] = (request.Header, request.Frame[..42]);
        BinaryPrimitives.WriteInt32LittleEndian(request.Header.AsSpan(8), 42);
        var path = edit.Save(Path.Combine(dir, "snap.pcap"));

        var (exit, stdout, _) = Cli("replay", path, "--as", Server);

        exit.Should().Be(0, stdout);
        stdout.Should().Contain("skipped            frames cut by the snapshot length: 1 frame (first #3)");
        stdout.Should().Contain("skipped            frames of a flow with frames cut by the snapshot length: 3 frames (first #4)");
        stdout.Should().EndWith("replay: EQUIVALENT (1 exchanges)\n", "only the ARP exchange is left to judge");
    }

    [Test]
    public void Unwritable_output_directory_is_bad_input()
    {
        var blocker = Path.Combine(RepositoryPaths.FreshOutputDirectory("replay-out-file"), "a-file");
        File.WriteAllText(blocker, "not a directory");

        var (exit, _, stderr) = Cli("replay", Capture("arp-ping"), "--as", Server, "--out", blocker);

        exit.Should().Be(2);
        stderr.Should().StartWith($"harness: --out: cannot write {Path.Combine(blocker, "arp-ping.replay.pcap")}: ");
        stderr.Split('\n').Should().HaveCount(2, "one line, no stack trace");
    }
}
