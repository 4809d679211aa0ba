using System.Buffers.Binary;
using Netstack.Harness.Replay;
using Netstack.Harness.Running;
using Netstack.Harness.Trace;
using Netstack.Drivers.Capture;
using Netstack.Time;

namespace Netstack.Harness.Reports;

/// <summary>The HTML report of <c>harness replay --report FILE</c>: the capture as recorded, and the replay with our
/// stack in the replayed endpoint's place (the other endpoints' frames as injected, ours as sent), each with its
/// ladder and TCP time-sequence graphs, and every exchange that differed as a failure. Hosts are named by their
/// IPv4 address.</summary>
public static class ReplayReportPage
{
    /// <param name="verdictTable">The per-flow verdict table (an HTML fragment) shown above the ladders.</param>
    public static void Write(string path, string capturePath, string address, ulong seed, ReplayResult result, string? verdictTable = null)
    {
        var page = new RunReportPage($"harness replay: {Path.GetFileName(capturePath)} as {address}")
        {
            CommandLine = $"./harness replay {capturePath} --as {address}",
            PreludeHtml = verdictTable,
        };
        string ours = address + " (our stack)";
        string HostOf(byte[] frame, bool fromUs) => fromUs ? ours : SenderAddress(frame) is { } a && a == address ? address + " (captured)" : SenderAddress(frame) ?? "?";

        var captured = Log(result.Captured.Select(f => (f.Time, f.Bytes, HostOf(f.Bytes, false))));
        page.Add(Result($"captured: {Path.GetFileName(capturePath)}", capturePath, seed, true, captured, []), null,
            note: $"the capture as recorded; {address} is the endpoint our stack replaces");

        // What the replay put on the wire: its recording when there is one (the injected frames carry sequence
        // numbers rewritten to our stack's), else our frames alone.
        IEnumerable<(Instant, byte[], string)> replayed;
        string seen;
        if (result.Report.OutputPath is { } recording && File.Exists(recording))
        {
            var records = CaptureFileReader.Read(recording).Records;
            long epoch = PcapFileSink.Epoch * Duration.NanosecondsPerSecond;
            replayed = records.Select(r => (new Instant(r.TimeNanoseconds >= epoch ? r.TimeNanoseconds - epoch : r.TimeNanoseconds), r.Bytes,
                HostOf(r.Bytes, SenderAddress(r.Bytes) == address)));
            seen = $"frames as replayed (recording {recording})";
        }
        else
        {
            replayed = result.Ours.Select(f => (f.Time, f.Bytes, HostOf(f.Bytes, true)));
            seen = "our stack's frames only: replay with --out DIR to see the injected frames too";
        }
        var report = result.Report;
        var differences = report.Lines().Where(l => l.Contains("DIFFERENT", StringComparison.Ordinal))
            .Select((l, i) => new StepFailure(i, l)).ToList();
        page.Add(Result($"replayed: our stack as {address}", capturePath, seed, report.Equivalent, Log(replayed), differences), null,
            note: $"{report.EquivalentCount} exchanges equivalent, {report.DifferentCount} different; {seen}");
        page.Write(path);
    }

    private static ScenarioResult Result(string name, string file, ulong seed, bool passed, FrameLog log, IReadOnlyList<StepFailure> failures) =>
        new(name, file, seed, passed, log.Count == 0 ? Duration.Zero : log.Frames[^1].Time - Instant.Zero, log.Count, null, failures, log);

    private static FrameLog Log(IEnumerable<(Instant Time, byte[] Bytes, string Host)> frames)
    {
        var log = new FrameLog();
        foreach (var (time, bytes, host) in frames)
            log.Write(time, bytes, new FrameContext(host, FrameDirection.Outbound));
        return log;
    }

    /// <summary>The IPv4 source, or an ARP packet's sender address; null for anything else.</summary>
    private static string? SenderAddress(byte[] f)
    {
        if (f.Length < 34) return null;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12));
        int at = type == 0x0800 ? 26 : type == 0x0806 && f.Length >= 42 ? 28 : -1;
        return at < 0 ? null : $"{f[at]}.{f[at + 1]}.{f[at + 2]}.{f[at + 3]}";
    }
}
