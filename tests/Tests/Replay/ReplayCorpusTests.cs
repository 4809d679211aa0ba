using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Harness.Replay;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Replay;

/// <summary>Replay of the harder captures in captures/ (recorded by scripts/record-captures.sh between two
/// namespaces): started after the handshake, handshake filtered out, 3% loss both ways, many flows with
/// IPv6/mDNS/LLDP noise on two interfaces. Each is replayed in both roles on the virtual wire.</summary>
public class ReplayCorpusTests
{
    private const string Server = "192.0.2.2", Client = "192.0.2.1";

    private static string Capture(string file) => Path.Combine(RepositoryPaths.Root, "captures", file);

    private static string Text(ReplayResult r) => string.Join("\n", r.Report.Lines());

    [TestCase("tcp-midstream.pcap", Server, 6)]
    [TestCase("tcp-midstream.pcap", Client, 6)]
    [TestCase("tcp-handshakeless.pcap", Server, 5)]
    [TestCase("tcp-handshakeless.pcap", Client, 5)]
    [TestCase("tcp-lossy.pcap", Server, 5)]
    [TestCase("tcp-lossy.pcap", Client, 5)]
    [TestCase("multi-flow.pcapng", Server, 21)]
    [TestCase("multi-flow.pcapng", Client, 23)]
    public void Capture_replays_equivalent_in_both_roles_and_our_recording_is_valid(string file, string role, int exchanges)
    {
        var dir = RepositoryPaths.FreshOutputDirectory($"replay-corpus-{file}-{role}");

        var result = ReplaySession.Run(Capture(file), role, outDir: dir);

        result.Report.Equivalent.Should().BeTrue(Text(result));
        result.Report.Exchanges.Should().HaveCount(exchanges, Text(result));
        TsharkValidator.RequireInstalled();
        var verdict = TsharkValidator.Validate(result.Report.OutputPath!);
        verdict.Clean.Should().BeTrue(verdict.ToString());
    }

    [TestCase("tcp-midstream.pcap", 18)]
    [TestCase("tcp-handshakeless.pcap", 16)]
    [TestCase("tcp-lossy.pcap", 328)]
    [TestCase("multi-flow.pcapng", 83)]
    public void Shipped_capture_is_small_and_tshark_clean(string file, int frames)
    {
        new FileInfo(Capture(file)).Length.Should().BeLessThan(1 << 20);
        TsharkValidator.RequireInstalled();
        var verdict = TsharkValidator.Validate(Capture(file));
        verdict.Clean.Should().BeTrue(verdict.ToString());
        verdict.Frames.Should().Be(frames);
    }

    [TestCase(Server, "server")]
    [TestCase(Client, "client")]
    public void Capture_started_after_the_handshake_says_so_and_synthesises_one(string role, string side)
    {
        var result = ReplaySession.Run(Capture("tcp-midstream.pcap"), role);

        var text = Text(result);
        text.Should().Contain("the capture starts mid-connection (first frame 1, no SYN); synthesised a handshake with our endpoint as the " + side);
        text.Should().Contain("link               primed our ARP cache with 1 captured neighbour", "the capture has no ARP: its caches were warm");
        result.Ours.Should().NotContain(f => f.IsArp, "with the cache primed our stack needs no ARP");
        var firstData = result.Ours.First(f => f.TcpPayloadLength > 0);
        var handshake = result.Ours.Single(f => f.Has(ReplayFrame.Syn));
        firstData.Seq.Should().Be(handshake.Seq + 1, "the synthesised handshake puts our stack where the captured endpoint was");
    }

    [Test]
    public void Without_priming_the_replay_answers_our_stacks_arp_with_the_captured_mac()
    {
        var result = ReplaySession.Run(Capture("tcp-midstream.pcap"), Client, primeArp: false);

        result.Report.Equivalent.Should().BeTrue(Text(result));
        result.Ours[0].IsArp.Should().BeTrue();
        result.Report.Notes.Should().Contain("link               answered 1 ARP request of our stack for 192.0.2.2 with its captured MAC 02:00:00:00:0b:02");
        result.Report.Notes.Should().Contain("link               our stack's 1 ARP frame has no counterpart in the capture (no ARP of our endpoint there: taken with warm caches): not judged");
    }

    [Test]
    public void Unanswered_arp_of_our_stack_is_reported_first()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay-unanswered-arp");
        var edit = new PcapEditor(Path.Combine(RepositoryPaths.Root, "captures", "arp-ping.pcap"));
        // The client's echo requests now go to an address no endpoint of the capture has.
        foreach (int frame in new[] { 3, 5 }) edit.Frame(frame)[14 + 19] = 9;
        var path = edit.Save(Path.Combine(dir, "elsewhere.pcap"));

        var (exit, stdout, _) = CliRunner.Run("replay", path, "--as", Client);

        exit.Should().Be(1, stdout);
        stdout.Split('\n')[1].Should().StartWith("  DIFFERENT: our stack's ARP requests for 192.0.2.9 went unanswered (2 sent, first ours #");
    }

    [Test]
    public void Lossy_capture_replays_equivalent_in_the_receiving_role_with_retransmissions_as_notes()
    {
        var result = ReplaySession.Run(Capture("tcp-lossy.pcap"), Server);

        var text = Text(result);
        result.Report.Equivalent.Should().BeTrue(text);
        text.Should().Contain("tcp 192.0.2.1:43590 :8082 delivered to the application: 327680 bytes: equivalent");
        text.Should().Contain("tcp 192.0.2.1:43590 :8082 SYN/FIN/RST: SYN-ACK, FIN at byte 0: equivalent");
        var note = result.Report.Notes.Single(n => n.StartsWith("retransmissions"));
        note.Should().EndWith("out of order (filling a hole): endpoint in capture 0, peer 4", "the segments lost on the wire arrive later, filling holes: noted, not judged");
    }

    [Test]
    public void Lossy_capture_replays_equivalent_in_the_sending_role_with_the_holes_noted()
    {
        var result = ReplaySession.Run(Capture("tcp-lossy.pcap"), Client);

        var text = Text(result);
        result.Report.Equivalent.Should().BeTrue(text);
        // Our stack may send more segments than the capture's sender (its own probes and retransmissions): the bytes count.
        text.Should().MatchRegex(@"tcp 192\.0\.2\.2:8082 :43590 data: 327680 bytes in 240 segments \(ours \d+\): equivalent");
        result.Report.Notes.Single(n => n.StartsWith("retransmissions")).Should().EndWith("endpoint in capture 4, peer 0");
    }

    [Test]
    public void Edited_acknowledgment_in_a_lossy_capture_is_still_a_named_difference()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay-lossy-edited");
        var edit = new PcapEditor(Capture("tcp-lossy.pcap"));
        // The server's last frame now acknowledges 1000 bytes the client never sent.
        int last = edit.Records.FindLastIndex(r => r.Frame[14 + 15] == 2 && r.Frame[14 + 20 + 1] == 0x92) + 1;
        var frame = edit.Frame(last);
        uint ack = BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(14 + 20 + 8));
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(14 + 20 + 8), ack + 1000);
        var path = edit.Save(Path.Combine(dir, "edited.pcap"));

        var result = ReplaySession.Run(path, Server);

        result.Report.Equivalent.Should().BeFalse();
        Text(result).Should().Contain("acknowledgments: up to 328682 (relative): DIFFERENT: the capture acknowledges up to 328682 (relative), ours 327682");
    }

    [Test]
    public void Edited_ttl_in_a_lossy_capture_is_named()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay-lossy-ttl");
        var edit = new PcapEditor(Capture("tcp-lossy.pcap"));
        int synAck = edit.Records.FindIndex(r => r.Frame.Length >= 54 && r.Frame[12] == 8 && r.Frame[14 + 20 + 13] == 0x12) + 1;
        edit.Frame(synAck)[14 + 8] = 128;
        var path = edit.Save(Path.Combine(dir, "edited.pcap"));

        var result = ReplaySession.Run(path, Server);

        result.Report.Equivalent.Should().BeFalse();
        Text(result).Should().Contain("IPv4 headers: DIFFERENT: ttl 128/64 in capture, 64 ours");
    }

    [Test]
    public void Traffic_we_do_not_speak_is_listed_once_with_a_count_and_never_judged()
    {
        var result = ReplaySession.Run(Capture("multi-flow.pcapng"), Server);

        result.Report.Skipped.Should().Equal(
            "skipped            IPv6 multicast: 2 frames (first #6)",
            "skipped            ARP of other hosts: 2 frames (first #31)",
            "skipped            IPv4 between other hosts: 4 frames (first #33)",
            "skipped            MLD (ICMPv6 130-132, 143): 3 frames (first #57)",
            "skipped            IPv6 router discovery and redirects (ICMPv6 133, 134, 137): 1 frame (first #79)",
            "skipped            mDNS (UDP 5353): 2 frames (first #81)",
            "skipped            LLDP (ethertype 0x88cc): 1 frame (first #83)");
        // ARP, five TCP connections and the ping; the two UDP queries drew no reply in the capture (nor from us).
        result.Report.Exchanges.Select(e => e.Flow).Distinct().Should().HaveCount(7);
        result.Ours.Should().NotContain(f => f.IsIcmp && f.IcmpType == 3, "the UDP port was open in the capture, so ours is too");
    }

    [Test]
    public void Filter_replays_only_the_selected_frames()
    {
        var (exit, stdout, _) = CliRunner.Run("replay", Capture("multi-flow.pcapng"), "--as", Server, "--filter", "icmp or arp");

        exit.Should().Be(0, stdout);
        stdout.Should().Contain("skipped            not selected by --filter: ");
        stdout.Should().Contain("ICMP echo reply id ");
        stdout.Should().NotContain("TCP 8080");
        stdout.Should().EndWith("replay: EQUIVALENT (4 exchanges)\n");
    }

    [Test]
    public void Bad_filter_is_bad_input()
    {
        var (exit, _, stderr) = CliRunner.Run("replay", Capture("tcp-midstream.pcap"), "--as", Server, "--filter", "tcp port");

        exit.Should().Be(2);
        stderr.Should().StartWith("harness: --filter: 'tcp port' is not a valid filter: ");
        stderr.Split('\n').Should().HaveCount(2, "one line, no stack trace");
    }

    [TestCase("md")]
    [TestCase("html")]
    public void Report_file_holds_the_per_flow_verdict_table(string extension)
    {
        var path = Path.Combine(RepositoryPaths.FreshOutputDirectory("replay-report-" + extension), "report." + extension);

        var (exit, stdout, _) = CliRunner.Run("replay", Capture("multi-flow.pcapng"), "--as", Server, "--report", path);

        exit.Should().Be(0, stdout);
        var text = File.ReadAllText(path);
        var flows = ReplaySession.Run(Capture("multi-flow.pcapng"), Server).Report.Exchanges.Select(e => e.Flow).Distinct().ToList();
        foreach (var flow in flows) text.Should().Contain(flow);
        if (extension == "md")
        {
            text.Should().Contain("| flow | exchanges | equivalent | verdict | first difference |");
            text.Should().Contain("| tcp 192.0.2.1:34616 :8080 | 3 | 3 | EQUIVALENT |  |");
        }
        else
        {
            text.Should().StartWith("<!DOCTYPE html>");
            text.Should().Contain("<tr class=\"EQUIVALENT\"><td>tcp 192.0.2.1:34616 :8080</td><td>3</td><td>3</td><td>EQUIVALENT</td>");
            text.Should().NotContainAny(["<script", "src=", "http://", "https://"], "the page is self-contained");
            System.Text.RegularExpressions.Regex.Matches(text, "href=\"([^\"]*)\"").Select(m => m.Groups[1].Value)
                .Should().OnlyContain(h => h.StartsWith('#'), "links stay inside the page");
            text.Should().Contain("<svg", "the capture and the replay are drawn as ladders");
        }
    }

    [Test]
    public void Vlan_tagged_capture_replays_like_the_untagged_one()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("replay-vlan");
        var edit = new PcapEditor(Path.Combine(RepositoryPaths.Root, "captures", "tcp-http.pcap"));
        for (int i = 0; i < edit.Records.Count; i++)
        {
            var (header, frame) = edit.Records[i];
            var withTag = new byte[frame.Length + 4];
            frame.AsSpan(0, 12).CopyTo(withTag);
            withTag[12] = 0x81;
            withTag[15] = 100; // VLAN 100
            frame.AsSpan(12).CopyTo(withTag.AsSpan(16));
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), withTag.Length);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), withTag.Length);
            edit.Records[i] = (header, withTag);
        }
        var path = edit.Save(Path.Combine(dir, "tagged.pcap"));

        var tagged = ReplaySession.Run(path, Server);
        var plain = ReplaySession.Run(Path.Combine(RepositoryPaths.Root, "captures", "tcp-http.pcap"), Server);

        tagged.Report.Equivalent.Should().BeTrue(Text(tagged));
        tagged.Report.Exchanges.Select(e => e.ToString()).Should().Equal(plain.Report.Exchanges.Select(e => e.ToString()));
        tagged.Report.Notes.Should().Contain("vlan               12 frames carried 802.1Q tags (VLAN 100): played and compared without them");
    }
}

/// <summary>A capture is input from anywhere: garbage frames among real ones are skipped or dropped by our
/// stack, counted, and never crash the replay or change the verdict on the real flows.</summary>
public class ReplayHostileCaptureTests
{
    [TestCase(1UL)]
    [TestCase(2UL)]
    [TestCase(3UL)]
    public void Garbage_frames_between_real_ones_do_not_disturb_the_replay(ulong seed)
    {
        var dir = RepositoryPaths.FreshOutputDirectory($"replay-garbage-{seed}");
        var edit = new PcapEditor(Path.Combine(RepositoryPaths.Root, "captures", "tcp-http.pcap"));
        var random = new Random((int)seed);
        // After every real frame, one made-up frame from the client's MAC to the server's: an IPv4, ARP or TCP
        // header of a real frame with random bytes over it, cut at a random length.
        for (int i = edit.Records.Count - 1; i >= 0; i--)
        {
            var (header, frame) = edit.Records[i];
            var junk = (byte[])edit.Records[random.Next(edit.Records.Count)].Frame.Clone();
            if (random.Next(2) == 0) junk = junk[..random.Next(15, junk.Length + 1)];
            for (int k = 0; k < 6; k++) junk[14 + random.Next(Math.Max(1, junk.Length - 14)) % Math.Max(1, junk.Length - 14)] ^= (byte)random.Next(1, 256);
            new byte[] { 2, 0, 0, 0, 0x0b, 2, 2, 0, 0, 0, 0x0a, 1 }.CopyTo(junk, 0);
            var junkHeader = (byte[])header.Clone();
            BinaryPrimitives.WriteInt32LittleEndian(junkHeader.AsSpan(8), junk.Length);
            BinaryPrimitives.WriteInt32LittleEndian(junkHeader.AsSpan(12), junk.Length);
            edit.Records.Insert(i + 1, (junkHeader, junk));
        }
        var path = edit.Save(Path.Combine(dir, "garbage.pcap"));

        var result = ReplaySession.Run(path, "192.0.2.2");

        result.Captured.Should().HaveCount(24);
        // The real conversation is still judged, frame for frame, as in the clean capture.
        var text = string.Join("\n", result.Report.Lines());
        result.Report.Exchanges.Should().Contain(e => e.Description.StartsWith("TCP 8080 > 50324 [P.] len 63") && e.Equivalent, text);
        result.Report.Equivalent.Should().BeTrue(text);
    }
}
