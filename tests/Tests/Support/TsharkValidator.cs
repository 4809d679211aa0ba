using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Netstack.Tests.Support;

/// <summary>Checks a capture with Wireshark's dissectors (tshark, checksum validation on, expert info):
/// an independent judge of what our stack put on the wire.</summary>
public static partial class TsharkValidator
{
    public sealed record Verdict(int Frames, int Malformed, int BadChecksums, IReadOnlyList<string> Problems, string ExpertOutput)
    {
        public bool Clean => Malformed == 0 && BadChecksums == 0;
        public override string ToString() => $"{Frames} frames, {Malformed} malformed, {BadChecksums} bad checksums" +
                                             (Problems.Count > 0 ? ":\n" + string.Join("\n", Problems) : "");
    }

    public static bool IsInstalled => FindTshark() is not null;

    /// <summary>Skips the calling test with a printed reason when tshark is missing.</summary>
    public static void RequireInstalled()
    {
        if (!IsInstalled)
            NUnit.Framework.Assert.Ignore("tshark is not installed (Debian package tshark; ./run-tests.sh installs it)");
    }

    public static Verdict Validate(string capturePath)
    {
        var expert = Run(capturePath, "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
            "-o", "tcp.check_checksum:TRUE", "-z", "expert", "-z", "io,stat,0", "-q");
        int malformed = 0, badChecksums = 0;
        var problems = new List<string>();
        // Expert lines: "   Frequency      Group           Protocol  Summary"
        foreach (Match m in ExpertLine().Matches(expert))
        {
            int n = int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            var group = m.Groups["group"].Value;
            var summary = m.Groups["summary"].Value.Trim();
            if (group == "Malformed" || summary.Contains("Malformed", StringComparison.OrdinalIgnoreCase))
            {
                malformed += n;
                problems.Add(m.Value.Trim());
            }
            else if (group == "Checksum" && summary.Contains("Bad", StringComparison.OrdinalIgnoreCase))
            {
                badChecksums += n;
                problems.Add(m.Value.Trim());
            }
        }
        // One tshark run: the io,stat table's single row gives the number of frames read.
        var row = IoStatRow().Match(expert);
        int frames = row.Success ? int.Parse(row.Groups["frames"].Value, CultureInfo.InvariantCulture) : 0;
        return new Verdict(frames, malformed, badChecksums, problems, expert);
    }

    [GeneratedRegex(@"^\|\s*[\d.]+\s*<>\s*[\d.]+\s*\|\s*(?<frames>\d+)\s*\|", RegexOptions.Multiline)]
    private static partial Regex IoStatRow();

    [GeneratedRegex(@"^\s+(?<n>\d+)\s+(?<group>\S+)\s+(?<proto>\S+)\s+(?<summary>.+)$", RegexOptions.Multiline)]
    private static partial Regex ExpertLine();

    private static string? FindTshark()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, "tshark")))
                return Path.Combine(dir, "tshark");
        return null;
    }

    private static string Run(string capture, params string[] args)
    {
        var psi = new ProcessStartInfo(FindTshark() ?? "tshark")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-r");
        psi.ArgumentList.Add(capture);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderrTask = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var stderr = stderrTask.Result;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"tshark failed on {capture} (exit {process.ExitCode}): {stderr.Trim()}");
        return stdout;
    }
}
