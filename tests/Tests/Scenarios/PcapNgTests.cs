using System.Diagnostics;
using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Harness.Trace;
using Netstack.Drivers.Capture;
using Netstack.Tests.Support;
using NUnit.Framework;
using SharpPcap;
using SharpPcap.LibPcap;

namespace Netstack.Tests.Scenarios;

/// <summary>Our pcapng writer: readable by libpcap (SharpPcap) and by tshark, same frames and timestamps as the
/// classic pcap, and a comment per frame that says what a fault did.</summary>
public class PcapNgTests
{
    private static ScenarioResult RunShipped(string name, CaptureFormat format, string dir)
    {
        using var filters = new FrameFilterCache();
        var scenario = ShippedScenarios.Load(Path.Combine(RepositoryPaths.Scenarios, name + ".yaml"), filters);
        return new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = dir, Format = format });
    }

    private static List<(long Seconds, long Nanoseconds, byte[] Data)> ReadWithLibpcap(string path)
    {
        var frames = new List<(long, long, byte[])>();
        using var device = new CaptureFileReaderDevice(path);
        device.Open(new DeviceConfiguration { TimestampResolution = TimestampResolution.Nanosecond });
        while (device.GetNextPacket(out var capture) == GetPacketStatus.PacketRead)
        {
            var raw = capture.GetPacket();
            frames.Add(((long)raw.Timeval.Seconds, (long)raw.Timeval.MicroSeconds, raw.Data));
        }
        return frames;
    }

    [Test]
    public void Holds_the_same_frames_and_timestamps_as_the_classic_pcap()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("pcapng-same");
        var classic = RunShipped("fault-udp-wire", CaptureFormat.Pcap, dir);
        var ng = RunShipped("fault-udp-wire", CaptureFormat.PcapNg, dir);

        ng.CapturePath.Should().EndWith("fault-udp-wire.pcapng");
        var a = ReadWithLibpcap(classic.CapturePath!);
        var b = ReadWithLibpcap(ng.CapturePath!);
        b.Should().HaveCount(classic.Frames);
        for (int i = 0; i < a.Count; i++)
        {
            b[i].Data.Should().Equal(a[i].Data, $"frame {i + 1}");
            (b[i].Seconds, b[i].Nanoseconds).Should().Be((a[i].Seconds, a[i].Nanoseconds), $"frame {i + 1} timestamp");
        }
        a[0].Seconds.Should().Be(PcapFileSink.Epoch);
    }

    [Test]
    public void Marks_dropped_and_altered_frames_with_comments_tshark_can_filter()
    {
        TsharkValidator.RequireInstalled();
        var dir = RepositoryPaths.FreshOutputDirectory("pcapng-comments");
        var arp = RunShipped("fault-arp-reply-lost", CaptureFormat.PcapNg, dir);
        var udp = RunShipped("fault-udp-wire", CaptureFormat.PcapNg, dir);

        Filter(arp.CapturePath!, "frame.comment contains \"dropped\"").Should().Equal("4");
        Filter(udp.CapturePath!, "frame.comment contains \"corrupted\"").Should().Equal("10");
        Filter(udp.CapturePath!, "frame.comment contains \"link on lan is down\"").Should().Equal("12");
        Filter(udp.CapturePath!, "frame.interface_name == \"b.lan\"").Should().Equal("2", "4", "6");
        var verdict = TsharkValidator.Validate(udp.CapturePath!);
        verdict.Frames.Should().Be(udp.Frames);
        verdict.Clean.Should().BeTrue(verdict.ToString());
    }

    private static string[] Filter(string capture, string displayFilter)
    {
        var psi = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-r", capture, "-Y", displayFilter, "-T", "fields", "-e", "frame.number" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.Should().Be(0);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
