using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using NUnit.Framework;
using PacketDotNet;
using Netstack.Time;

namespace Netstack.Tests.Scenarios;

/// <summary>Frames injected by a scripted peer: built exactly as written (checked with PacketDotNet), and the
/// stack's answers to malformed ones (dropped and counted, never answered).</summary>
public class ScriptedPeerTests
{
    private const string World = """
        wire: { latency: 1ms }
        hosts:
          b: { mac: 02:00:00:00:00:0b, ip: 192.0.2.11/24, gratuitous-arp: false }
          x: { scripted: true, mac: 02:00:00:00:00:99, ip: 192.0.2.99/24 }
        steps:
          - udp-bind: b:7
        """;

    private static ScenarioResult Run(string name, string steps)
    {
        using var filters = new FrameFilterCache();
        var scenario = ScenarioLoader.Load($"name: {name}\n{World}\n{steps}", name + ".yaml", filters);
        return new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = null });
    }

    [Test]
    public void Field_built_udp_frame_decodes_with_the_fields_written_and_a_valid_checksum()
    {
        using var filters = new FrameFilterCache();
        var scenario = ScenarioLoader.Load($"name: built\n{World}\n" + """
              - inject: { from: x, ip: { dst: b, ttl: 9, id: 4660 }, udp: { src-port: 4000, dst-port: 7, data: hello } }
            """, "built.yaml", filters);
        var frame = scenario.Steps.OfType<Netstack.Harness.Steps.InjectStep>().Single().Frame!;

        var ethernet = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, frame);
        ethernet.SourceHardwareAddress.ToString().Should().Be("020000000099");
        ethernet.DestinationHardwareAddress.ToString().Should().Be("02000000000B", "the IP destination is a host, so its MAC is used");
        var ip = ethernet.Extract<IPv4Packet>();
        ip.TimeToLive.Should().Be(9);
        ip.Id.Should().Be(4660);
        ip.SourceAddress.ToString().Should().Be("192.0.2.99");
        ip.ValidIPChecksum.Should().BeTrue();
        var udp = ethernet.Extract<UdpPacket>();
        (udp.SourcePort, udp.DestinationPort).Should().Be(((ushort)4000, (ushort)7));
        udp.PayloadData.Should().Equal("hello"u8.ToArray());
        udp.ValidUdpChecksum.Should().BeTrue();
        frame.Length.Should().Be(60, "padded to Ethernet's minimum");
    }

    [Test]
    public void Malformed_frames_are_dropped_counted_and_never_answered()
    {
        var result = Run("malformed", """
              - at: 10ms
                inject: { from: x, ip: { dst: b }, udp: { dst-port: 7, data: bad, bad-checksum: true } }
              - at: 20ms
                inject: { from: x, ip: { dst: b, bad-checksum: true }, icmp: { type: echo-request, id: 1, seq: 1 } }
              - at: 30ms
                inject: { from: x, ip: { dst: b }, icmp: { type: echo-request, id: 1, seq: 2, bad-checksum: true } }
              - at: 40ms
                inject: { from: x, hex: "02 00 00 00 00 0b 02 00 00 00 00 99 08 00 45 00 00 54" }
              - at: 50ms
                inject: { from: x, ip: { dst: b, total-length: 200 }, udp: { dst-port: 7, data: lies } }
              - at: 60ms
                expect: { counters: b, drop.udp-bad-checksum: 1, drop.ipv4-bad-checksum: 1, drop.icmp-bad-checksum: 1, drop.ipv4-truncated: 1, drop.ipv4-total-length-beyond-frame: 1 }
              - at: 60ms
                expect: { udp-receive: b:7, none: true }
              - at: 0s..
                expect: { no-frame: "", from: b }
            """);

        result.Passed.Should().BeTrue(result.FailureMessage);
        result.Frames.Should().Be(5);
    }

    [Test]
    public void A_scripted_host_cannot_run_stack_steps()
    {
        using var filters = new FrameFilterCache();
        var load = () => ScenarioLoader.Load(World + "\n  - ping: { from: x, to: b }", "s.yaml", filters);
        load.Should().Throw<ScenarioFormatException>().WithMessage("s.yaml:7:19: host 'x' is scripted: it has no stack to run 'from' on (use inject steps)");
    }

    [Test]
    public void A_frame_taken_from_a_capture_is_replayed_byte_for_byte()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("inject-pcap");
        using var filters = new FrameFilterCache();
        var echo = ShippedScenarios.Load(Path.Combine(RepositoryPaths.Scenarios, "icmp-echo.yaml"), filters);
        var recorded = new ScenarioRunner().Run(echo, new RunOptions { OutputDirectory = dir });
        var request = recorded.Recording.Frames.First(f => f.Bytes.Length > 34 && f.Bytes[23] == 1 && f.Bytes[34] == 8); // first ICMP echo request

        // x plays a's part: same MAC and address, so b's reply comes back to it.
        var file = Path.Combine(dir, "replayed.yaml");
        var scenario = ScenarioLoader.Load($$"""
            name: replayed
            wire: { latency: 1ms }
            hosts:
              b: { mac: 02:00:00:00:00:0b, ip: 192.0.2.11/24, gratuitous-arp: false }
              x: { scripted: true, mac: 02:00:00:00:00:0a, ip: 192.0.2.10/24 }
            steps:
              - at: 1ms
                inject: { from: x, arp: { op: request, target-ip: b } }
              - at: 10ms
                inject: { from: x, pcap: icmp-echo.pcap, frame: {{request.Number}} }
              - at: 11ms
                expect: { frame: "icmp[icmptype] = icmp-echoreply and icmp[6:2] = 1", from: b, to: x }
            """, file, filters);
        var result = new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = null });

        result.Passed.Should().BeTrue(result.FailureMessage);
        result.Recording.Frames.Single(f => f.Host == "x" && f.Time == Instant.FromMilliseconds(10)).Bytes.Should().Equal(request.Bytes);
    }

    [TestCase("pcap: nowhere.pcap", "capture not found: nowhere.pcap")]
    [TestCase("pcap: two.pcap, frame: 3", "capture two.pcap has 2 frames, not 3")]
    [TestCase("pcap: garbage.pcap", "cannot read capture garbage.pcap: ")]
    [TestCase("frame: 2", "'frame' picks a frame of a 'pcap' file: add pcap:")]
    [TestCase("pcap: cut.pcap", "cannot read capture cut.pcap: truncated or corrupt at byte 100 (record 2): truncated dump file")]
    public void A_bad_capture_reference_is_a_file_error(string reference, string message)
    {
        var dir = RepositoryPaths.FreshOutputDirectory("inject-pcap-bad");
        File.WriteAllBytes(Path.Combine(dir, "garbage.pcap"), "this is not a capture file at all"u8.ToArray());
        using (var two = new Netstack.Drivers.Capture.PcapFileSink(Path.Combine(dir, "two.pcap")))
        {
            var frame = new byte[60];
            two.Write(Netstack.Time.Instant.Zero, frame, new Netstack.Drivers.Capture.FrameContext("t", Netstack.Drivers.Capture.FrameDirection.Outbound));
            two.Write(Netstack.Time.Instant.Zero, frame, new Netstack.Drivers.Capture.FrameContext("t", Netstack.Drivers.Capture.FrameDirection.Outbound));
        }
        var twoFrames = File.ReadAllBytes(Path.Combine(dir, "two.pcap"));
        File.WriteAllBytes(Path.Combine(dir, "cut.pcap"), twoFrames[..130]); // header, one 60-byte record, 30 bytes of the next
        using var filters = new FrameFilterCache();
        var load = () => ScenarioLoader.Load(World + $"\n  - inject: {{ from: x, {reference} }}", Path.Combine(dir, "s.yaml"), filters);
        load.Should().Throw<ScenarioFormatException>().Which.Problem.Should().StartWith(message);
    }
}
