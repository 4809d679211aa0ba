using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Packetdrill;

/// <summary>A parsed packetdrill script: the <c>--option=value</c> header, an optional untimed shell command
/// before the first event and after the last one (packetdrill's init and cleanup commands), and the timed events.</summary>
public sealed record PacketdrillScript(
    string File,
    IReadOnlyList<HeaderOption> Options,
    ShellCommand? InitCommand,
    IReadOnlyList<ScriptEvent> Events,
    ShellCommand? CleanupCommand)
{
    public HeaderOption? Option(string name) => Options.LastOrDefault(o => o.Name == name);
}

/// <summary><c>--name=value</c> (value null for a bare <c>--name</c>). <see cref="Known"/> is false for a flag
/// packetdrill itself does not define; it is kept so the runner can name it, not dropped.</summary>
public sealed record HeaderOption(string Name, string? Value, bool Known, SourceLocation Location)
{
    public override string ToString() => Value is null ? $"--{Name}" : $"--{Name}={Value}";
}

public enum EventTimeKind
{
    /// <summary><c>0.100</c>: seconds since the script started.</summary>
    Absolute,
    /// <summary><c>+0.100</c>: after the previous event.</summary>
    Relative,
    /// <summary><c>*</c>: whenever it happens (outbound packets only).</summary>
    Any,
    /// <summary><c>0.1~0.2</c> (outbound packets only).</summary>
    AbsoluteRange,
    /// <summary><c>+0.1~+0.2</c> (outbound packets only).</summary>
    RelativeRange,
}

/// <summary>When an event happens, in microseconds as written; <see cref="EndMicros"/> is the end of a range.</summary>
public sealed record EventTime(EventTimeKind Kind, long Micros, long? EndMicros, SourceLocation Location)
{
    public override string ToString() => Kind switch
    {
        EventTimeKind.Any => "*",
        EventTimeKind.Absolute => Seconds(Micros),
        EventTimeKind.Relative => "+" + Seconds(Micros),
        EventTimeKind.AbsoluteRange => $"{Seconds(Micros)}~{Seconds(EndMicros!.Value)}",
        _ => $"+{Seconds(Micros)}~+{Seconds(EndMicros!.Value)}",
    };

    internal static string Seconds(long micros) =>
        (micros / 1_000_000m).ToString("0.######", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>One timed line of a script: the time and what happens then.</summary>
public sealed record ScriptEvent(EventTime Time, EventAction Action)
{
    public SourceLocation Location => Time.Location;
}

/// <summary>What an event does: a packet, a system call, a shell command or a Python block.</summary>
public abstract record EventAction(SourceLocation Location);

/// <summary><c>`sysctl -q net.ipv4.tcp_timestamps=0`</c>: run by a shell where the stack under test lives.</summary>
public sealed record ShellCommand(string Command, SourceLocation Location) : EventAction(Location);

/// <summary><c>%{ assert tcpi_snd_cwnd == 10 }%</c>: Python run against TCP_INFO by packetdrill. Kept so the
/// runner reports it as a skipped assertion rather than silently passing it.</summary>
public sealed record PythonBlock(string Code, SourceLocation Location) : EventAction(Location);
