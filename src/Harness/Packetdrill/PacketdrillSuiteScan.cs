using System.Text;
using System.Text.RegularExpressions;

namespace Netstack.Harness.Packetdrill;

/// <summary>Parses every <c>.pkt</c> under a folder and counts how many the front end accepts, with the most common
/// first errors of the rest. Scripts for IPv6, TCP Fast Open and TCP over UDP are counted apart (our stack has none
/// of them), so the rate that matters — plain IPv4 — is visible on its own.</summary>
public sealed partial class PacketdrillSuiteScan
{
    /// <summary><see cref="SemanticError"/>: the first error of the semantic pass (scripts that parse);
    /// <see cref="Unsupported"/>: the first line our stack cannot run, if any.</summary>
    public sealed record ScriptOutcome(string Path, bool Parsed, bool Ipv6, bool FastOpen, bool TcpOverUdp,
                                       PacketdrillDiagnostic? FirstError, PacketdrillDiagnostic? SemanticError,
                                       PacketdrillDiagnostic? Unsupported);

    public IReadOnlyList<ScriptOutcome> Scripts { get; }

    private PacketdrillSuiteScan(IReadOnlyList<ScriptOutcome> scripts) => Scripts = scripts;

    public static PacketdrillSuiteScan Run(string folder)
    {
        var outcomes = new List<ScriptOutcome>();
        foreach (var path in Directory.EnumerateFiles(folder, "*.pkt", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string text = File.ReadAllText(path);
            var result = PacketdrillParser.Parse(path, text);
            bool ipv6 = result.Script.Option("ip_version")?.Value is "ipv6" ||
                        Path.GetFileName(path).Contains("ipv6", StringComparison.OrdinalIgnoreCase);
            bool fastOpen = FastOpenMarker().IsMatch(text);
            bool tcpOverUdp = text.Contains("/udp(", StringComparison.Ordinal);
            PacketdrillDiagnostic? semantic = null, unsupported = null;
            if (result.Succeeded)
            {
                var analysis = PacketdrillAnalyzer.Analyze(result.Script);
                semantic = analysis.Errors.FirstOrDefault();
                if (analysis.Unsupported.FirstOrDefault() is { Reason: not null } first)
                    unsupported = new PacketdrillDiagnostic(first.Location, first.Reason);
            }
            outcomes.Add(new ScriptOutcome(path, result.Succeeded, ipv6, fastOpen, tcpOverUdp, result.Errors.FirstOrDefault(),
                                           semantic, unsupported));
        }
        return new PacketdrillSuiteScan(outcomes);
    }

    [GeneratedRegex(@"FASTOPEN|\bFO(EXP)?\b")]
    private static partial Regex FastOpenMarker();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();

    /// <summary>An error message with its numbers blanked, so the same mistake on different lines counts once.</summary>
    public static string Reason(PacketdrillDiagnostic error) => Digits().Replace(error.Message, "N");

    private static void Tally(StringBuilder text, string title, IEnumerable<PacketdrillDiagnostic> diagnostics, int top)
    {
        var groups = diagnostics.GroupBy(Reason).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (groups.Count == 0) return;
        text.AppendLine($"{title}: {groups.Sum(g => g.Count())}");
        foreach (var group in groups.Take(top))
            text.AppendLine($"{group.Count(),5}  {group.Key}  (e.g. {group.First().Location})");
    }

    public string Report(int topReasons = 12)
    {
        var text = new StringBuilder();
        void Line(string label, IReadOnlyCollection<ScriptOutcome> set)
        {
            int parsed = set.Count(s => s.Parsed);
            double rate = set.Count == 0 ? 0 : 100.0 * parsed / set.Count;
            text.AppendLine($"{label,-28} {set.Count,5} scripts  {parsed,5} parse  ({rate:0.0}%)");
        }
        Line("all", Scripts.ToList());
        Line("IPv4, no Fast Open/over-UDP", Scripts.Where(s => !s.Ipv6 && !s.FastOpen && !s.TcpOverUdp).ToList());
        Line("IPv6", Scripts.Where(s => s.Ipv6).ToList());
        Line("Fast Open", Scripts.Where(s => s.FastOpen).ToList());
        Line("TCP over UDP", Scripts.Where(s => s.TcpOverUdp).ToList());
        var failures = Scripts.Where(s => !s.Parsed).GroupBy(s => Reason(s.FirstError!))
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(topReasons).ToList();
        if (failures.Count > 0) text.AppendLine("first error of the scripts that do not parse:");
        foreach (var group in failures)
            text.AppendLine($"{group.Count(),5}  {group.Key}  (e.g. {group.First().FirstError!.Location})");
        Tally(text, "semantic errors (scripts that parse)", Scripts.Where(s => s.SemanticError is not null).Select(s => s.SemanticError!), topReasons);
        var plain = Scripts.Where(s => s.Parsed && s.SemanticError is null).ToList();
        text.AppendLine($"runnable on our stack (parse, no semantic error, nothing unsupported): {plain.Count(s => s.Unsupported is null)} of {plain.Count}");
        Tally(text, "first unsupported line", plain.Where(s => s.Unsupported is not null).Select(s => s.Unsupported!), topReasons);
        return text.ToString();
    }
}
