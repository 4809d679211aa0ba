using System.CommandLine;
using Netstack.Harness.Packetdrill;

namespace Netstack.Cli.Commands;

/// <summary>`harness pkt-parse DIR` (hidden): parses every .pkt under DIR without running it and prints how many
/// parse, IPv4 / IPv6 / Fast Open apart, with the most common first errors. Measures the packetdrill front end
/// against public suites; exit 0 when every script parsed, 1 otherwise.</summary>
public static class PacketdrillParseCommand
{
    public static Command Create()
    {
        var folder = new Argument<DirectoryInfo>("DIR") { Description = "Folder searched for *.pkt" };
        var verbose = new Option<bool>("--list") { Description = "Also print every script's first error" };
        var run = new Option<bool>("--run") { Description = "Also run every runnable script on our stack (virtual wire) and count verdicts" };
        var layout = new Option<bool>("--any-option-layout") { Description = "With --run: compare which TCP options were sent, not their order and padding" };
        var personality = new Option<string>("--personality") { Description = "With --run: our stack's TCP personality (rfc, linux, freebsd)", DefaultValueFactory = _ => "rfc" };
        personality.AcceptOnlyFromAmong("rfc", "linux", "freebsd");
        var command = new Command("pkt-parse", "Parse packetdrill scripts and report what the front end accepts")
        {
            folder, verbose, run, layout, personality,
        };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            var directory = parse.GetValue(folder)!;
            if (!directory.Exists)
            {
                Console.Error.WriteLine($"harness: {directory.FullName}: no such folder");
                return Program.ExitUsage;
            }
            var scan = PacketdrillSuiteScan.Run(directory.FullName);
            if (parse.GetValue(verbose))
                foreach (var script in scan.Scripts.Where(s => !s.Parsed))
                    Console.WriteLine(script.FirstError);
            Console.Write(scan.Report());
            Netstack.Transport.Tcp.TcpSettings.TryParsePersonality(parse.GetValue(personality), out var chosen);
            if (parse.GetValue(run)) RunAll(directory.FullName, parse.GetValue(verbose), parse.GetValue(layout), chosen);
            return scan.Scripts.All(s => s.Parsed) ? Program.ExitOk : Program.ExitFailed;
        });
        return command;
    }

    /// <summary>Runs every script the runner accepts on our stack and prints pass / fail counts with the most common
    /// first failures (numbers folded to N so alike failures group).</summary>
    private static void RunAll(string folder, bool list, bool anyOptionLayout, Netstack.Transport.Tcp.TcpPersonality personality)
    {
        int runnable = 0, passed = 0;
        var reasons = new Dictionary<string, (int Count, string Example)>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        foreach (var file in Directory.EnumerateFiles(folder, "*.pkt", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
        {
            var script = Netstack.Harness.Packetdrill.Execution.LoadedScript.Load(file);
            if (script.Analysis is null) continue;
            runnable++;
            Netstack.Harness.Running.ScenarioResult result;
            try
            {
                result = Netstack.Harness.Packetdrill.Execution.PacketdrillRunner.Run(script, new Netstack.Harness.Running.RunOptions { OutputDirectory = null, Personality = personality }, anyOptionLayout);
            }
            catch (Exception e)
            {
                // A crash is a runner defect: counted and named, never hidden.
                Count(reasons, "runner crashed: " + e.GetType().Name + ": " + e.Message, file);
                continue;
            }
            if (result.Passed)
            {
                passed++;
                continue;
            }
            var first = result.Failures[0].Report.Split('\n')[0];
            int at = first.IndexOf(": ", StringComparison.Ordinal);
            string message = at >= 0 ? first[(at + 2)..] : first;
            if (list) Console.WriteLine("FAIL " + first);
            Count(reasons, System.Text.RegularExpressions.Regex.Replace(message, @"\d+(\.\d+)?", "N"), first);
        }
        Console.WriteLine($"run on our stack (virtual wire, personality {personality.ToString().ToLowerInvariant()}{(anyOptionLayout ? ", any option layout" : "")}): {runnable} runnable, {passed} pass, {runnable - passed} fail ({watch.Elapsed.TotalSeconds:0.0} s)");
        foreach (var (reason, (count, example)) in reasons.OrderByDescending(r => r.Value.Count).Take(25))
            Console.WriteLine($"  {count,4}  {(reason.Length > 110 ? reason[..110] + "..." : reason)}  (e.g. {example[..Math.Min(example.Length, 140)]})");
    }

    private static void Count(Dictionary<string, (int Count, string Example)> reasons, string reason, string example) =>
        reasons[reason] = reasons.TryGetValue(reason, out var r) ? (r.Count + 1, r.Example) : (1, example);
}
