using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Packetdrill;

/// <summary>packetdrill's command-line flags given to <c>harness run --pkt-option NAME=VALUE</c>. packetdrill
/// reads a script's header lines first and its command line after, so a flag given both ways takes the command
/// line's value (google's run_all.py runs every script with <c>--local_ip=192.168.0.1 --remote_ip=192.0.2.1</c>,
/// whatever the script's header says); the runner does the same by placing these after the header.</summary>
public static class CommandLineOptions
{
    /// <summary>Where a command-line flag is reported from (a refusal names it).</summary>
    public static readonly SourceLocation Location = new("--pkt-option", 1, 1);

    /// <summary><c>NAME=VALUE</c> (a leading <c>--</c> allowed) as a header option; a flag the runner does not
    /// apply is a <see cref="FormatException"/> naming why.</summary>
    public static HeaderOption Parse(string text)
    {
        string flag = text.StartsWith("--", StringComparison.Ordinal) ? text[2..] : text;
        int equals = flag.IndexOf('=');
        string name = equals < 0 ? flag : flag[..equals];
        string? value = equals < 0 ? null : flag[(equals + 1)..];
        if (name.Length == 0) throw new FormatException($"--pkt-option must be NAME=VALUE, like local_ip=192.168.0.1, found '{text}'");
        var option = new HeaderOption(name, value, PacketdrillParser.IsKnownOption(name), Location);
        if (LineClassifier.Option(option) is { Level: not SupportLevel.Supported } support)
            throw new FormatException($"--pkt-option {text}: {support.Reason}");
        return option;
    }
}
