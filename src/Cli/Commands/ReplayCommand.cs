using System.CommandLine;
using Netstack.Harness.Replay;

namespace Netstack.Cli.Commands;

/// <summary>`harness replay`: our stack takes over one endpoint of a capture; the report compares what it
/// sent with what that endpoint sent.</summary>
public static class ReplayCommand
{
    public static Command Create()
    {
        var capture = new Argument<string>("capture") { Description = "pcap or pcapng file to replay" };
        var asAddress = new Option<string>("--as") { Description = "IPv4 address of the endpoint our stack takes over", Required = true };
        var mac = new Option<string?>("--mac") { Description = "MAC our stack uses (default: that endpoint's MAC in the capture)" };
        var outDir = new Option<string?>("--out") { Description = "Directory for the replay's pcap (injected and our frames)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of our stack's randomness (ISNs, ephemeral ports)", DefaultValueFactory = _ => 1 };
        var primeArp = new Option<bool?>("--prime-arp")
        {
            Description = "Fill our stack's ARP cache from the capture before the replay (default: on when the capture shows no ARP)",
        };
        var filter = new Option<string?>("--filter") { Description = "BPF expression (tcpdump syntax): replay only the frames it selects" };
        var reportFile = new Option<string?>("--report")
        {
            Description = "Also write FILE.md (the per-flow verdict table) or FILE.html (the table, then the capture and the replay " +
                          "as ladder diagrams and TCP time-sequence graphs; self-contained)",
        };
        var wire = new Option<string>("--wire")
        {
            Description = "virtual: our stack takes over the endpoint, in virtual time. tap: the Linux kernel does, in a network " +
                          "namespace behind a tap made for the replay, with sockets there playing the captured applications (real time, root)",
            DefaultValueFactory = _ => "virtual",
        };
        wire.AcceptOnlyFromAmong("virtual", "tap");
        var command = new Command("replay", "Replay a capture against our stack (or the Linux kernel) and compare its responses with the captured ones")
        {
            capture, asAddress, mac, outDir, seed, primeArp, filter, reportFile, wire,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(capture)!;
            ReplayResult result;
            try
            {
                result = ReplaySession.Run(path, parse.GetValue(asAddress)!, parse.GetValue(mac), parse.GetValue(outDir), parse.GetValue(seed),
                    parse.GetValue(primeArp), parse.GetValue(filter), parse.GetValue(wire) == "tap" ? ReplayWire.Tap : ReplayWire.Virtual);
                if (parse.GetValue(reportFile) is { } file)
                {
                    if (ReplayReportWriter.IsHtml(file))
                        Netstack.Harness.Reports.ReplayReportPage.Write(file, path, parse.GetValue(asAddress)!, parse.GetValue(seed), result,
                            ReplayReportWriter.HtmlTable(result.Report));
                    else
                        ReplayReportWriter.Write(file, $"replay {Path.GetFileName(path)} as {parse.GetValue(asAddress)}", result.Report);
                }
            }
            catch (ReplayInputException e)
            {
                throw new UsageException(e.Message);
            }
            catch (Exception e) when (e is InvalidOperationException or Netstack.Drivers.Tap.TapUnavailableException)
            {
                throw new UsageException($"--wire tap: the kernel's namespace and tap could not be set up: {e.Message}");
            }
            catch (Netstack.Harness.Running.RunInterruptedException e)
            {
                Console.WriteLine($"replay: STOP ({e.Message}); the replay's namespace was removed");
                return Program.ExitInterrupted;
            }
            var report = result.Report;
            Console.WriteLine($"replay {path} as {parse.GetValue(asAddress)}: {result.Captured.Count} captured frames, {result.Ours.Count} sent by {result.Endpoint}");
            foreach (var line in report.Lines()) Console.WriteLine("  " + line);
            if (report.OutputPath is { } o) Console.WriteLine($"  recorded: {o}");
            if (parse.GetValue(reportFile) is { } r) Console.WriteLine($"  report: {r}");
            Console.WriteLine(report.Equivalent
                ? $"replay: EQUIVALENT ({report.EquivalentCount} exchanges)"
                : $"replay: DIFFERENT ({report.DifferentCount} differences, {report.EquivalentCount} equivalent)");
            return report.Equivalent ? Program.ExitOk : Program.ExitFailed;
        });
        return command;
    }
}
