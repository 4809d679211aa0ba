using System.Text.RegularExpressions;
using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Recording;

/// <summary>pcapng comments, read back with tshark: a step's comment is on the frame it caused (the SYN, the echo
/// request, the datagram), not on the ARP request sent first; every TCP retransmission says what it retransmits.</summary>
public partial class FrameCommentTests
{
    private const string Steps = """
        name: caused
        wire: { latency: 1ms }
        hosts:
          a: { mac: 02:00:00:00:00:0a, ip: 192.0.2.10/24 }
          b: { mac: 02:00:00:00:00:0b, ip: 192.0.2.11/24 }
          c: { mac: 02:00:00:00:00:0c, ip: 192.0.2.12/24 }
        steps:
          - tcp-listen: b:80
          - tcp-connect: { from: a, to: b:80, as: conn }
          - expect: { tcp-state: conn, state: established }
          - ping: { from: a, to: c, count: 2 }
          - expect: { ping: a, replies: 2 }
          - udp-bind: a:7
          - udp-send: { from: c:5000, to: a:7, data: hello }
          - expect: { udp-receive: a:7, data: hello }
        """;

    [Test]
    public void A_steps_comment_is_on_the_frame_it_caused_and_the_arp_before_it_says_what_it_was_for()
    {
        TsharkValidator.RequireInstalled();
        var dir = RepositoryPaths.FreshOutputDirectory("comments-caused");
        using var filters = new FrameFilterCache();
        var result = new ScenarioRunner().Run(ScenarioLoader.Load(Steps, "caused.yaml", filters),
            new RunOptions { OutputDirectory = dir, Format = CaptureFormat.PcapNg });
        result.Passed.Should().BeTrue(result.FailureMessage);
        // One tshark pass: each frame's dissected fields, then the frames each check is about.
        var frames = Tshark.AllFrames(result.CapturePath!, "tcp.flags.syn", "tcp.flags.ack", "arp.opcode", "arp.src.proto_ipv4",
                "arp.dst.proto_ipv4", "icmp.type", "udp.dstport", "frame.comment")
            .Select(r => new Fields(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])).ToList();
        List<string> Comments(Func<Fields, bool> which) => frames.Where(which).Select(f => f.Comment).ToList();

        Comments(f => f.Syn == "1" && f.Ack == "0").Should().Equal("step 9:5 tcp-connect conn from a to b:80");
        Comments(f => f.Arp == "1" && f.ArpFrom == "192.0.2.10" && f.ArpFor == "192.0.2.11").Should().Equal("ARP for tcp-connect at line 9");
        Comments(f => f.Icmp == "8").Should().Equal("step 11:5 ping from a to c x2", "step 11:5 ping from a to c x2");
        Comments(f => f.Arp == "1" && f.ArpFrom == "192.0.2.10" && f.ArpFor == "192.0.2.12").Should().Equal("ARP for ping at line 11");
        Comments(f => f.UdpPort == "7").Should().Equal("step 14:5 udp-send from c:5000 to a:7, \"hello\"");
        // What the step did not cause carries no step comment: the SYN-ACK, the echo replies.
        Comments(f => f.Syn == "1" && f.Ack == "1").Should().Equal("");
        Comments(f => f.Icmp == "0").Should().Equal("", "");
    }

    [Test]
    public void Every_retransmission_in_a_lossy_recording_names_the_sequence_range_and_the_frame_that_first_sent_it()
    {
        TsharkValidator.RequireInstalled();
        var dir = RepositoryPaths.FreshOutputDirectory("comments-retransmissions");
        var result = HostCaptureTests.Run(HostCaptureTests.LossyHttp(), dir, HostCaptureMode.None, CaptureFormat.PcapNg);

        var rows = Tshark.AllFrames(result.CapturePath!, "frame.number", "tcp.seq", "tcp.nxtseq", "frame.comment", "tcp.len");
        var byNumber = rows.ToDictionary(r => int.Parse(r[0]));
        var retransmissions = new List<int>();
        foreach (var row in rows)
        {
            if (Retransmission().Match(row[3]) is not { Success: true } m) continue;
            int number = int.Parse(row[0]);
            retransmissions.Add(number);
            // The range is Wireshark's relative Seq..NextSeq of the frame.
            m.Groups["start"].Value.Should().Be(row[1], $"frame {number}");
            m.Groups["end"].Value.Should().Be(row[2], $"frame {number}");
            // The first frame named is earlier and carried the same first sequence number.
            int first = int.Parse(m.Groups["first"].Value);
            first.Should().BeLessThan(number);
            var original = byNumber[first];
            uint.Parse(original[1]).Should().BeLessThanOrEqualTo(uint.Parse(row[1]));
            uint.Parse(original[2]).Should().BeGreaterThan(uint.Parse(row[1]));
        }
        // Every data segment the wire dropped was retransmitted, and that retransmission says so.
        var dropped = result.Recording.Frames.Where(f => f.Notes.Any(n => n.StartsWith("dropped")) &&
                                                   TcpView.Read(f.Bytes) is { PayloadLength: > 0 }).ToList();
        dropped.Should().NotBeEmpty();
        foreach (var f in dropped)
        {
            uint seq = uint.Parse(byNumber[f.Number][1]);
            rows.Any(r => int.Parse(r[0]) > f.Number && Retransmission().Match(r[3]) is { Success: true } m &&
                          uint.Parse(m.Groups["start"].Value) <= seq && seq < uint.Parse(m.Groups["end"].Value) &&
                          int.Parse(m.Groups["first"].Value) <= f.Number)
                .Should().BeTrue($"frame {f.Number} (seq {seq}) was dropped, so a later frame retransmits it");
        }
        // And nothing else is called one: a frame whose bytes were all new carries no such comment.
        retransmissions.Should().HaveCountLessThan(rows.Count / 3);
        result.Recording.Frames.Where(f => retransmissions.Contains(f.Number)).Should().OnlyContain(f => f.Host == "a" || f.Host == "b");
    }

    [Test]
    public void A_notation_plugs_into_every_tcp_frames_comment()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("comments-notation");
        using var filters = new FrameFilterCache();
        var formatter = new TcpCommentFormatter { Segment = (_, tcp) => $"notation {TcpView.FlagText(tcp.Flags)} len {tcp.PayloadLength}" };
        var result = new ScenarioRunner().Run(ScenarioLoader.Load(Steps, "caused.yaml", filters),
            new RunOptions { OutputDirectory = dir, Format = CaptureFormat.PcapNg, TcpComments = formatter });
        var syn = result.Recording.Frames.Single(f => TcpView.Read(f.Bytes) is { Flags: TcpView.Syn });
        syn.Comments.Should().Equal("step 9:5 tcp-connect conn from a to b:80", "notation S len 0");
        result.Recording.Frames.Where(f => TcpView.Read(f.Bytes) is not null).Should().OnlyContain(f => f.Annotations.Count == 1);
    }

    private sealed record Fields(string Syn, string Ack, string Arp, string ArpFrom, string ArpFor, string Icmp, string UdpPort,
        string Comment);

    [GeneratedRegex(@"retransmission of seq (?<start>\d+)\.\.(?<end>\d+), first sent at [\d.]+ s \(frame (?<first>\d+)\)")]
    private static partial Regex Retransmission();
}
