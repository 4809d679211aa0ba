using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Packetdrill;

public enum SupportLevel
{
    /// <summary>The runner can execute it on our stack and on the Linux kernel.</summary>
    Supported,
    /// <summary>Only meaningful next to the kernel (<c>--wire tap</c>): shell commands.</summary>
    KernelOnly,
    /// <summary>Reported as a skipped assertion, never as a pass: Python <c>%{ }%</c> blocks.</summary>
    Skipped,
    /// <summary>Parses, but names something our stack does not have; the runner refuses the script with the reason.</summary>
    Unsupported,
}

public sealed record LineSupport(SupportLevel Level, string? Reason)
{
    public static LineSupport Yes { get; } = new(SupportLevel.Supported, null);
    public static LineSupport No(string reason) => new(SupportLevel.Unsupported, reason);
    public override string ToString() => Reason is null ? Level.ToString() : $"{Level}: {Reason}";
}

/// <summary>What a relative time counts from, as packetdrill decides it at run time: from the previous event's
/// script time only when both events are inbound packets (back-to-back injections keep their spacing exactly), from
/// the moment the previous event actually completed otherwise.</summary>
public enum TimeAnchor
{
    Absolute,
    PreviousScriptTime,
    PreviousActualTime,
    /// <summary><c>*</c>: not checked.</summary>
    Any,
}

/// <summary>An event with its time resolved against the script's start (<see cref="ScriptMicros"/>: the nominal time
/// were every event on time; for <c>*</c> the previous event's time, the earliest it can happen).</summary>
public sealed record AnalyzedEvent(ScriptEvent Event, long ScriptMicros, long? ScriptEndMicros, TimeAnchor Anchor, LineSupport Support)
{
    public SourceLocation Location => Event.Location;
}

public enum FdRole
{
    /// <summary>Returned by socket(), not yet listening or connecting.</summary>
    Socket,
    Listener,
    /// <summary>Returned by accept() on a listener.</summary>
    Accepted,
    /// <summary>connect() was called on it.</summary>
    Connecting,
    /// <summary>Not a socket the script made (open, pipe, epoll_create).</summary>
    Other,
}

/// <summary>One file descriptor as the script uses it. <see cref="SocketType"/> is the socket() type symbol
/// (<c>SOCK_STREAM</c>), <see cref="ListenerFd"/> the listener an accepted fd came from.</summary>
public sealed record FdInfo(int Fd, FdRole Role, string? SocketType, int? ListenerFd, SourceLocation OpenedAt, SourceLocation? ClosedAt);

/// <summary>A header option and whether the runner applies it.</summary>
public sealed record OptionSupport(HeaderOption Option, LineSupport Support);

/// <summary>A script checked without running it: times resolved, fds followed, every line classified. The runner
/// refuses a script with <see cref="Errors"/> (exit 2, each located) or with an <see cref="SupportLevel.Unsupported"/>
/// line (naming the first one), before sending a single packet. <see cref="Warnings"/> are printed, not fatal.</summary>
public sealed record ScriptAnalysis(
    PacketdrillScript Script,
    IReadOnlyList<AnalyzedEvent> Events,
    IReadOnlyList<FdInfo> Fds,
    IReadOnlyList<OptionSupport> Options,
    long ToleranceMicros,
    double TolerancePercent,
    IReadOnlyList<PacketdrillDiagnostic> Errors,
    IReadOnlyList<PacketdrillDiagnostic> Warnings)
{
    public IEnumerable<(SourceLocation Location, string Reason)> Unsupported =>
        Options.Where(o => o.Support.Level == SupportLevel.Unsupported).Select(o => (o.Option.Location, o.Support.Reason!))
            .Concat(Events.Where(e => e.Support.Level == SupportLevel.Unsupported).Select(e => (e.Location, e.Support.Reason!)));

    /// <summary>No errors and nothing unsupported: runnable on our stack (kernel-only lines aside).</summary>
    public bool RunnableOnStack => Errors.Count == 0 && !Unsupported.Any();

    public IEnumerable<FdInfo> Listeners => Fds.Where(f => f.Role == FdRole.Listener);
    public IEnumerable<FdInfo> Accepted => Fds.Where(f => f.Role == FdRole.Accepted);
}
