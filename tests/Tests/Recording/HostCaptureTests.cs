using System.Diagnostics;
using System.Text;
using FluentAssertions;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Segments;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Recording;

/// <summary>Per-host captures (<c>--capture rx|tx|both</c>): a host's rx capture holds what reached it after the
/// wire's faults, its tx capture what it sent; the segment's recording (every frame as sent) is unchanged.</summary>
public class HostCaptureTests
{
    /// <summary>HTTP responses (so Wireshark reassembles PDUs) over a wire that drops 10% of TCP segments: the
    /// segment's recording holds each dropped segment and its retransmission, which Wireshark's reassembly reports as
    /// "New fragment overlaps old data" on a transfer that is correct.</summary>
    internal static string LossyHttp(int responses = 12)
    {
        var sb = new StringBuilder("""
            name: http-lossy
            seed: 1
            timeout: 60s
            wire: { latency: 1ms, bandwidth: 100Mbit }
            hosts:
              a: { mac: 02:00:00:00:00:0a, ip: 192.0.2.10/24 }
              b: { mac: 02:00:00:00:00:0b, ip: 192.0.2.11/24 }
            faults:
              - drop: "tcp"
                probability: 0.1
            steps:
              - tcp-listen: b:80
              - tcp-accept: { on: b:80, as: s }
              - at: 10ms
                tcp-connect: { from: a, to: b:80, as: c }
              - expect: { tcp-state: c, state: established }
              - expect: { tcp-state: s, state: established }
              - tcp-send: { conn: c, data: "GET / HTTP/1.1\r\nHost: b\r\n\r\n" }

            """);
        for (int i = 0; i < responses; i++)
        {
            sb.Append("  - tcp-send: { conn: s, data: \"HTTP/1.1 200 OK\\r\\nContent-Length: 5000\\r\\n\\r\\n\" }\n");
            sb.Append("  - tcp-send: { conn: s, size: 5000 }\n");
        }
        sb.Append("  - tcp-close: s\n  - expect: { tcp-state: c, state: close-wait }\n");
        return sb.ToString();
    }

    internal static ScenarioResult Run(string yaml, string dir, HostCaptureMode capture, CaptureFormat format = CaptureFormat.Pcap)
    {
        using var filters = new FrameFilterCache();
        var scenario = ScenarioLoader.Load(yaml, "scenario.yaml", filters);
        var result = new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = dir, Capture = capture, Format = format });
        result.Passed.Should().BeTrue(result.FailureMessage);
        return result;
    }

    [Test]
    public void A_receivers_rx_capture_of_a_lossy_transfer_is_clean_where_the_segments_recording_shows_overlaps()
    {
        TsharkValidator.RequireInstalled();
        var dir = RepositoryPaths.FreshOutputDirectory("host-capture-rx");
        var result = Run(LossyHttp(), dir, HostCaptureMode.Rx);

        result.HostCapturePaths.Keys.Should().BeEquivalentTo("a", "b");
        var clientRx = result.HostCapturePaths["a"];
        clientRx.Should().EndWith("http-lossy.a.rx.pcap");

        // The sample exercises what it is about: the segment's view trips Wireshark's reassembly.
        var segment = TsharkValidator.Validate(result.CapturePath!);
        segment.ExpertOutput.Should().Contain("New fragment overlaps old data");

        var rx = TsharkValidator.Validate(clientRx);
        rx.Clean.Should().BeTrue(rx.ToString());
        rx.ExpertOutput.Should().NotContain("overlaps old data");
        rx.ExpertOutput.Should().NotContain("Malformed");
        rx.Frames.Should().BeGreaterThan(40);
        TsharkValidator.Validate(result.HostCapturePaths["b"]).Clean.Should().BeTrue();
    }

    [Test]
    public void Frames_the_wire_dropped_are_in_the_senders_tx_capture_and_not_in_the_receivers_rx_capture()
    {
        var rxDir = RepositoryPaths.FreshOutputDirectory("host-capture-drop-rx");
        var txDir = RepositoryPaths.FreshOutputDirectory("host-capture-drop-tx");
        var rx = Run(LossyHttp(), rxDir, HostCaptureMode.Rx);
        var tx = Run(LossyHttp(), txDir, HostCaptureMode.Tx);

        var droppedTowardA = rx.Recording.Frames.Where(f => f.Host == "b" && f.Notes.Any(n => n.StartsWith("dropped toward a"))).ToList();
        droppedTowardA.Should().NotBeEmpty();
        var aReceived = CaptureFileReader.ReadFrames(rx.HostCapturePaths["a"]).Select(Convert.ToHexString).ToHashSet();
        var bSent = CaptureFileReader.ReadFrames(tx.HostCapturePaths["b"]).Select(Convert.ToHexString).ToList();

        foreach (var f in droppedTowardA)
        {
            bSent.Should().Contain(Convert.ToHexString(f.Bytes), $"frame {f.Number} was sent by b");
            aReceived.Should().NotContain(Convert.ToHexString(f.Bytes), $"frame {f.Number} was dropped on its way to a");
        }
        // Everything b sent that reached a is in a's rx capture; b's tx capture holds every frame b sent, no more.
        bSent.Should().HaveCount(rx.Recording.Frames.Count(f => f.Host == "b"));
        var delivered = rx.Recording.Frames.Where(f => f.Host == "b" && !f.Notes.Any(n => n.StartsWith("dropped toward a")));
        foreach (var f in delivered)
            aReceived.Should().Contain(Convert.ToHexString(f.Bytes), $"frame {f.Number} reached a");
        // Deterministic: the same run writes the same bytes.
        var again = RepositoryPaths.FreshOutputDirectory("host-capture-drop-rx-again");
        var rx2 = Run(LossyHttp(), again, HostCaptureMode.Rx);
        File.ReadAllBytes(rx2.HostCapturePaths["a"]).Should().Equal(File.ReadAllBytes(rx.HostCapturePaths["a"]));
    }

    [Test]
    public void Both_writes_one_file_per_host_with_each_frames_direction_in_pcapng()
    {
        TsharkValidator.RequireInstalled();
        var dir = RepositoryPaths.FreshOutputDirectory("host-capture-both");
        var result = Run(LossyHttp(responses: 2), dir, HostCaptureMode.Both, CaptureFormat.PcapNg);
        var a = result.HostCapturePaths["a"];
        a.Should().EndWith("http-lossy.a.rxtx.pcapng");
        var fields = Tshark.AllFrames(a, "frame.packet_flags_direction", "eth.src");
        fields.Should().NotBeEmpty();
        foreach (var row in fields)
            row[0].Should().Be(row[1] == "02:00:00:00:00:0a" ? "0x00000002" : "0x00000001", "a's own frames are outbound, b's inbound");
        // a's SYN in a's own capture carries the step's comment, as in the segment's recording.
        Tshark.Fields(a, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "frame.comment")[0][0].Should().Be("step 14:5 tcp-connect c from a to b:80");
        TsharkValidator.Validate(a).Clean.Should().BeTrue();
    }

    [Test]
    public void The_capture_decorator_writing_pcap_allocates_nothing_per_frame()
    {
        var path = Path.Combine(RepositoryPaths.FreshOutputDirectory("host-capture-alloc"), "alloc.pcap");
        var link = new ScriptedLink { Recording = false };
        using var sink = new PcapFileSink(path);
        var captures = new HostCaptures(CaptureDirections.Both, _ => sink);
        var wrapped = captures.Wrap("a", link, new Netstack.Drivers.Loops.VirtualEventLoop());
        var frame = new byte[1514];
        for (int i = 0; i < 2000; i++)
        {
            wrapped.Transmit(frame);
            link.Inject(frame);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5000; i++)
        {
            wrapped.Transmit(frame);
            link.Inject(frame);
        }
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
        sink.FramesWritten.Should().Be(14000);
    }
}

/// <summary>tshark's fields of the frames a display filter selects.</summary>
internal static class Tshark
{
    public static List<string[]> Fields(string capture, string displayFilter, params string[] fields)
    {
        var psi = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-r", capture, "-Y", displayFilter, "-T", "fields", "-E", "separator=/t", "-E", "aggregator=|" })
            psi.ArgumentList.Add(a);
        foreach (var f in fields)
        {
            psi.ArgumentList.Add("-e");
            psi.ArgumentList.Add(f);
        }
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.Should().Be(0, stderr.Result);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
    }

    /// <summary>The fields of every frame.</summary>
    public static List<string[]> AllFrames(string capture, params string[] fields) => Fields(capture, "frame", fields);
}
