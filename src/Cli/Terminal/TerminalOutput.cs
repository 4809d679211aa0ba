namespace Netstack.Cli.Terminal;

/// <summary>What the command line writes differently to a person at a terminal: colour on verdicts and totals,
/// and a progress line on long runs that is rewritten in place and cleared before the next real line. When
/// stdout is redirected (CI logs, pipes, tests) nothing changes: plain text, no escape sequences, no progress.
/// NO_COLOR (no-color.org) and TERM=dumb turn it off on a terminal too.</summary>
public sealed class TerminalOutput
{
    private const string Reset = "\u001b[0m", ClearLine = "\r\u001b[2K";
    private readonly TextWriter _out;
    private bool _progressShown;

    public TerminalOutput(TextWriter stdout, bool interactive)
    {
        _out = stdout;
        Interactive = interactive;
    }

    /// <summary>For the process's own stdout: interactive only when it is a terminal.</summary>
    public static TerminalOutput For(TextWriter stdout) => new(stdout, IsTerminal(stdout));

    public bool Interactive { get; }

    /// <summary>The underlying writer, for lines written while no progress line can be showing.</summary>
    public TextWriter Writer => _out;

    private static bool IsTerminal(TextWriter stdout) =>
        !Console.IsOutputRedirected && ReferenceEquals(stdout, Console.Out) &&
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")) &&
        Environment.GetEnvironmentVariable("TERM") is not "dumb";

    public string Green(string text) => Paint("\u001b[1;32m", text);
    public string Red(string text) => Paint("\u001b[1;31m", text);
    public string Yellow(string text) => Paint("\u001b[1;33m", text);
    public string Dim(string text) => Paint("\u001b[2m", text);
    public string Bold(string text) => Paint("\u001b[1m", text);

    /// <summary>A verdict word (PASS, FAIL, SKIP, STOP) in its colour.</summary>
    public string Verdict(string word) => word switch
    {
        "PASS" => Green(word),
        "FAIL" or "STOP" => Red(word),
        "SKIP" => Yellow(word),
        _ => word,
    };

    private string Paint(string code, string text) => Interactive && text.Length > 0 ? code + text + Reset : text;

    /// <summary>Writes a line, first clearing any progress line.</summary>
    public void WriteLine(string line)
    {
        ClearProgress();
        _out.WriteLine(line);
    }

    /// <summary>Shows (or replaces) the progress line; nothing when not on a terminal.</summary>
    public void Progress(string text)
    {
        if (!Interactive) return;
        int width = SafeWidth();
        if (text.Length > width - 1) text = text[..(width - 1)];
        _out.Write(ClearLine + Dim(text));
        _out.Flush();
        _progressShown = true;
    }

    public void ClearProgress()
    {
        if (!_progressShown) return;
        _out.Write(ClearLine);
        _progressShown = false;
    }

    private static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth > 20 ? Console.WindowWidth : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }
}
