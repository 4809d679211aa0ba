using System.Diagnostics;
using Netstack.Time;

namespace Netstack.Tests.Support;

/// <summary>Debian's chromium, headless, as the browser a report must render in: the DOM after scripts ran,
/// what the page logged to its console (errors, failed loads, uncaught exceptions), and a screenshot.</summary>
public static class HeadlessChromium
{
    public sealed record Page(string Dom, IReadOnlyList<string> ConsoleMessages);

    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    public static string? Find() => Candidates.FirstOrDefault(File.Exists);

    /// <summary>Skips the calling test with a printed reason when no chromium is installed.</summary>
    public static string Require() =>
        Find() ?? throw new NUnit.Framework.IgnoreException("chromium is not installed (Debian package chromium; ./run-tests.sh installs it)");

    /// <summary>Loads the file and returns its DOM as serialised after load, and every console line the page produced.</summary>
    public static Page Load(string htmlFile)
    {
        var (stdout, stderr) = Run(["--enable-logging=stderr", "--v=0", "--dump-dom", Url(htmlFile)]);
        // Chromium logs a page's console output as "...:INFO:CONSOLE(line)] "text", source: URL (line)"; an uncaught
        // exception and a resource that failed to load come out the same way.
        var console = stderr.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal) || l.Contains("Uncaught", StringComparison.Ordinal))
            .Select(l => l.Trim()).ToList();
        return new Page(stdout, console);
    }

    public static void Screenshot(string htmlFile, string pngFile, int width, int height) =>
        Run([$"--screenshot={pngFile}", $"--window-size={width},{height}", "--hide-scrollbars", Url(htmlFile)]);

    private static string Url(string file) => new Uri(Path.GetFullPath(file)).AbsoluteUri;

    private static (string Out, string Err) Run(string[] args)
    {
        var profile = Path.Combine(Path.GetTempPath(), "netstack-chromium-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo(Require())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // No GPU, no sandbox (tests run as root in a container), no first-run work, no network beyond the file.
        foreach (var a in new[] { "--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-sync", "--disable-component-update", $"--user-data-dir={profile}" })
            start.ArgumentList.Add(a);
        foreach (var a in args) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"chromium did not finish within 120 s: {string.Join(' ', args)}");
            }
            return (stdout.Result, stderr.Result);
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
