using System.Globalization;
using System.Numerics;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Packetdrill;

/// <summary>The semantic pass over a parsed script, no execution: packetdrill's timing rules (<c>*</c> and ranges
/// only on outgoing packets, ranges not backwards, relative times anchored as packetdrill anchors them), the fds the
/// script opens and what each becomes (listener, accepted, connecting), and each line's support on our stack.</summary>
public static class PacketdrillAnalyzer
{
    /// <summary>packetdrill's defaults when the script does not set <c>--tolerance_usecs</c>/<c>--tolerance_percent</c>.</summary>
    public const long DefaultToleranceMicros = 4000;
    public const double DefaultTolerancePercent = 12.5;

    /// <param name="onKernel">The Linux kernel is the local host (<c>--wire tap</c>): lines are judged by what the
    /// runner can hand to it, not by what our stack models (<see cref="LineClassifier"/>).</param>
    public static ScriptAnalysis Analyze(PacketdrillScript script, bool onKernel = false)
    {
        var errors = new List<PacketdrillDiagnostic>();
        var warnings = new List<PacketdrillDiagnostic>();
        var options = script.Options.Select(o => new OptionSupport(o, LineClassifier.Option(o))).ToList();
        long tolerance = OptionNumber(script, "tolerance_usecs", DefaultToleranceMicros, errors);
        double percent = OptionNumber(script, "tolerance_percent", DefaultTolerancePercent, errors);
        var version = Execution.ScriptAddresses.Of(script, errors).Version;
        if (script.Option("mtu") is { } mtu && OptionNumber(script, "mtu", 1500, errors) is var value &&
            (value < (version == Execution.ScriptIpVersion.Ipv6 ? 1280 : 68) || value > 65535))
            errors.Add(new PacketdrillDiagnostic(mtu.Location, $"--mtu={mtu.Value}: a device MTU is {(version == Execution.ScriptIpVersion.Ipv6 ? "1280 (IPv6's minimum)" : "68")} to 65535"));

        var events = new List<AnalyzedEvent>(script.Events.Count);
        var fds = new FdTracker(errors, warnings);
        long previous = 0;
        ScriptEvent? previousEvent = null;
        foreach (var scriptEvent in script.Events)
        {
            var analyzed = ResolveTime(scriptEvent, previous, previousEvent, errors, onKernel, version);
            if (scriptEvent.Action is SyscallLine call) fds.Apply(call);
            events.Add(analyzed);
            previous = analyzed.ScriptMicros;
            previousEvent = scriptEvent;
        }
        return new ScriptAnalysis(script, events, fds.All, options, tolerance, percent, errors, warnings);
    }

    private static T OptionNumber<T>(PacketdrillScript script, string name, T fallback, List<PacketdrillDiagnostic> errors)
        where T : struct, INumber<T>
    {
        var option = script.Option(name);
        if (option is null) return fallback;
        if (T.TryParse(option.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > T.Zero) return value;
        errors.Add(new PacketdrillDiagnostic(option.Location, $"--{name} needs a positive number, not '{option.Value}'"));
        return fallback;
    }

    private static bool IsOutbound(ScriptEvent e) => e.Action is PacketLine { Direction: PacketDirection.Outbound };
    private static bool IsInbound(ScriptEvent? e) => e?.Action is PacketLine { Direction: PacketDirection.Inbound };

    private static AnalyzedEvent ResolveTime(ScriptEvent e, long previous, ScriptEvent? previousEvent, List<PacketdrillDiagnostic> errors, bool onKernel,
        Execution.ScriptIpVersion version)
    {
        var time = e.Time;
        if (time.Kind is EventTimeKind.Any && !IsOutbound(e))
            errors.Add(new PacketdrillDiagnostic(time.Location, "time * can only be used with outbound packets (> lines)"));
        if (time.Kind is EventTimeKind.AbsoluteRange or EventTimeKind.RelativeRange)
        {
            if (!IsOutbound(e))
                errors.Add(new PacketdrillDiagnostic(time.Location, "a time range can only be used with outbound packets (> lines)"));
            if (time.EndMicros < time.Micros)
                errors.Add(new PacketdrillDiagnostic(time.Location, $"time range {time} is backwards"));
        }
        bool relative = time.Kind is EventTimeKind.Relative or EventTimeKind.RelativeRange;
        long start = time.Kind switch
        {
            EventTimeKind.Any => previous,
            _ when relative => previous + time.Micros,
            _ => time.Micros,
        };
        long? end = time.EndMicros is long rangeEnd ? (relative ? previous + rangeEnd : rangeEnd) : null;
        if (e.Action is SyscallLine { EndMicros: long callEnd })
        {
            end = relative ? previous + callEnd : callEnd;
            if (end < start)
                errors.Add(new PacketdrillDiagnostic(e.Action.Location,
                    $"the blocking call ends at {EventTime.Seconds(end.Value)} s, before it starts ({EventTime.Seconds(start)} s)"));
        }
        var anchor = time.Kind switch
        {
            EventTimeKind.Any => TimeAnchor.Any,
            _ when !relative => TimeAnchor.Absolute,
            _ when IsInbound(previousEvent) && IsInbound(e) => TimeAnchor.PreviousScriptTime,
            _ => TimeAnchor.PreviousActualTime,
        };
        return new AnalyzedEvent(e, start, end, anchor, LineClassifier.Event(e.Action, onKernel, version));
    }

    /// <summary>Follows fds through socket/listen/accept/connect/close. Calls expected to fail (<c>= -1 ERRNO</c>)
    /// change nothing; a call that must succeed on an fd nobody opened is an error in the script. An fd returned while
    /// it is still open is only a warning: packetdrill does not check it, and public scripts do it.</summary>
    private sealed class FdTracker(List<PacketdrillDiagnostic> errors, List<PacketdrillDiagnostic> warnings)
    {
        private readonly Dictionary<int, FdInfo> _open = [];
        private readonly List<FdInfo> _all = [];

        public IReadOnlyList<FdInfo> All => _all;

        public void Apply(SyscallLine call)
        {
            long? result = call.Result is IntegerExpr r ? r.Value : null;
            bool fails = result is < 0;
            switch (call.Name)
            {
                case "socket" when result is >= 0:
                    Open(call, (int)result.Value, FdRole.Socket, (call.Argument(1) as WordExpr)?.Name, null);
                    return;
                case "open" or "epoll_create" or "epoll_create1" or "eventfd" or "timerfd_create" when result is >= 0:
                    Open(call, (int)result.Value, FdRole.Other, null, null);
                    return;
                case "pipe" or "socketpair" when !fails:
                    if (call.Arguments.LastOrDefault() is ArrayExpr ends)
                        foreach (var end in ends.Items.OfType<IntegerExpr>()) Open(call, (int)end.Value, FdRole.Other, null, null);
                    return;
            }
            // A non-blocking connect that reports EINPROGRESS has started connecting all the same.
            bool connecting = call.Name == "connect" && call.Errno is "EINPROGRESS";
            if (call.FdArgument is not int fd || (fails && !connecting)) return;
            if (!_open.TryGetValue(fd, out var info))
            {
                if (call.Name is "accept" or "accept4" or "listen" or "connect" or "bind" or "read" or "write" or "send" or
                    "recv" or "sendto" or "recvfrom" or "shutdown" or "close" or "setsockopt" or "getsockopt" or "fcntl")
                    errors.Add(new PacketdrillDiagnostic(call.Location,
                        $"{call.Name}() on fd {fd}, which the script has not opened (no socket() or accept() returned it)"));
                return;
            }
            switch (call.Name)
            {
                case "listen":
                    Replace(info with { Role = FdRole.Listener });
                    break;
                case "connect" when info.Role == FdRole.Socket:
                    Replace(info with { Role = FdRole.Connecting });
                    break;
                case "accept" or "accept4":
                    if (info.Role != FdRole.Listener)
                        errors.Add(new PacketdrillDiagnostic(call.Location, $"accept() on fd {fd}, which is not listening (no listen() before)"));
                    if (result is >= 0) Open(call, (int)result.Value, FdRole.Accepted, info.SocketType, fd);
                    break;
                case "close":
                    var closed = info with { ClosedAt = call.Location };
                    _all[_all.IndexOf(info)] = closed;
                    _open.Remove(fd);
                    break;
            }
        }

        private void Open(SyscallLine call, int fd, FdRole role, string? type, int? listener)
        {
            if (_open.TryGetValue(fd, out var existing))
                warnings.Add(new PacketdrillDiagnostic(call.Location,
                    $"{call.Name}() returns fd {fd}, which is still open (since {existing.OpenedAt})"));
            var info = new FdInfo(fd, role, type, listener, call.Location, null);
            if (existing is not null) _all[_all.IndexOf(existing)] = existing with { ClosedAt = call.Location };
            _open[fd] = info;
            _all.Add(info);
        }

        private void Replace(FdInfo updated)
        {
            var current = _open[updated.Fd];
            _all[_all.IndexOf(current)] = updated;
            _open[updated.Fd] = updated;
        }
    }
}
