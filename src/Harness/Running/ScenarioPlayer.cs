using Netstack.Harness.Scenarios;
using Netstack.Harness.Steps;
using Netstack.Harness.Trace;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Tap;
using Netstack.Time;

namespace Netstack.Harness.Running;

/// <summary>Plays the steps of one run in order against the clock and judges them; the timing rules are
/// <see cref="ScenarioRunner"/>'s.</summary>
internal sealed class ScenarioPlayer(ScenarioRun run, string? capturePath, Interruption? interruption)
{
    private readonly Scenario _scenario = run.Scenario;
    private readonly FrameMatcher _matcher = new(run.Scenario, run.Log);
    private readonly List<(FrameExpectation Step, Instant Start, Instant End)> _deferred = new();
    private Instant _cursor;
    /// <summary>On the real wire, how late the last action finished; frames it causes may be as late.</summary>
    private Duration _lateness;
    private int _consumedThrough;
    /// <summary>On the real wire, after a state observed by polling (data on a kernel socket): the cursor before that
    /// wait. What the state waited for can cause frames before a poll sees it (the kernel acknowledges data before a
    /// read returns it), so the next frame expectation without <c>at:</c> looks back to here; null otherwise.</summary>
    private Instant? _observedSince;
    /// <summary>Per host, the number of the last TCP frame an ordered expectation (<c>next:</c>, <c>strict:</c>) took.</summary>
    private readonly Dictionary<string, int> _segmentCursor = new(StringComparer.Ordinal);
    /// <summary>Frames some positive frame expectation matched: what <c>strict:</c> does not count as unexpected.</summary>
    private readonly HashSet<int> _taken = new();

    public List<StepFailure> Failures { get; } = new();

    /// <summary>Some frame window held only once widened for the harness's own measured stall.</summary>
    public bool NeededStallAllowance { get; private set; }

    /// <summary>Steps not played because of an earlier failure, each with why.</summary>
    public List<StepFailure> NotRun { get; } = new();

    /// <summary>Why no later step can be played (the clock reached the timeout while a failed step waited, the
    /// stack threw); null while the run can go on.</summary>
    private string? _halted;
    private bool _threw;

    /// <summary>What failed steps would have opened (a connection, a listener, a socket), with the failed step:
    /// steps using it are not run.</summary>
    private readonly Dictionary<string, Step> _unopened = new(StringComparer.Ordinal);

    private Instant Timeout => Instant.Zero + _scenario.Timeout;
    private Netstack.Drivers.Loops.IEventLoop Loop => run.World.Loop;

    /// <summary>Plays every step. A failing step is reported and the run goes on, so every failure of the run is
    /// reported, not only the first; a step that cannot be played because of an earlier failure is reported as
    /// not run, with why.</summary>
    public void Play()
    {
        run.StartWorld();
        interruption?.ThrowIfInterrupted();
        foreach (var step in _scenario.Steps)
        {
            if (_halted is not null)
            {
                Skip(step, _halted);
                continue;
            }
            if (StepDependencies.Uses(step) is { } used && _unopened.TryGetValue(used, out var opener))
            {
                Skip(step, $"{used} was never opened (the step at line {opener.Location.Line} failed)");
                if (StepDependencies.Opens(step) is { } opens) _unopened.TryAdd(opens, opener);
                continue;
            }
            int failuresBefore = Failures.Count;
            try
            {
                PlayStep(step);
            }
            catch (StepNotPlayableException e)
            {
                Skip(step, e.Message);
                continue;
            }
            catch (StepFailedException e)
            {
                Fail(step, $"{step.Location}: {step.Describe()}: {e.Message}", run.Now);
            }
            catch (Exception e) when (e is not LibpcapMissingException and not RunInterruptedException)
            {
                // A stack bug surfacing while this step ran (or while time ran up to it): a failure of the
                // scenario with a one-line cause, not a crash of the whole run; nothing after it can be trusted.
                Fail(step, $"{step.Location}: {step.Describe()}: {e.GetType().Name} at {TimeSyntax.FormatTime(run.Now)}: {e.Message}", run.Now);
                _threw = true;
                _halted = $"the stack threw {e.GetType().Name} during the step at line {step.Location.Line}";
                continue;
            }
            if (Failures.Count == failuresBefore) continue;
            if (StepDependencies.Opens(step) is { } unopened) _unopened.TryAdd(unopened, step);
            if (run.Now >= Timeout)
                _halted = $"the run reached its timeout ({TimeSyntax.FormatTime(Timeout)}) while the failed step at line {step.Location.Line} waited";
        }
        var strictHorizon = Instant.Zero; // set before use: strict is judged only when the run did not throw
        if (!_threw)
        {
            try
            {
                var lastWindowEnd = _deferred.Where(d => d.End != TimeWindow.Open).Select(d => d.End).DefaultIfEmpty(Instant.Zero).Max();
                if (run.IsRealTime) lastWindowEnd = Instant.Max(lastWindowEnd, run.Now + RealWireTolerance.Linger);
                if (lastWindowEnd > run.Now) RunTo(lastWindowEnd);
                strictHorizon = run.Now;
                // On the real wire the stacks' remaining timers (TIME-WAIT, keepalives) would cost real time.
                if (!run.IsRealTime) Settle();
            }
            catch (Exception e) when (e is not LibpcapMissingException and not RunInterruptedException)
            {
                Failures.Add(new StepFailure(int.MaxValue,
                    $"{_scenario.File}: after the last step: {e.GetType().Name} at {TimeSyntax.FormatTime(run.Now)}: {e.Message}") { Due = run.Now });
                _threw = true;
            }
        }
        // Claims about the recording are judged whatever failed before; only a window the run stopped short of
        // (the stack threw) cannot be.
        foreach (var (step, start, end) in _deferred)
        {
            if (!_threw || (end != TimeWindow.Open && end <= run.Now)) JudgeWindow(step, start, end);
            else Skip(step, $"the run stopped at {TimeSyntax.FormatTime(run.Now)} (the stack threw) before its window closed");
        }
        // Judged only when everything else held: a failed expectation leaves its frames untaken, and strict would
        // only echo that failure.
        if (!_threw && Failures.Count == 0 && _scenario.StrictHosts.Count > 0) JudgeStrict(strictHorizon);
    }

    /// <summary><c>strict:</c>: a TCP segment a strict host sent up to the end of the last step (or window) that no
    /// expectation took is a failure, as an unexpected packet fails a packetdrill script. What the stacks send while
    /// the run settles afterwards (timers, TIME-WAIT) is not judged.</summary>
    private void JudgeStrict(Instant horizon)
    {
        var unexpected = run.Log.Frames.Where(f => f.Time <= horizon && _scenario.StrictHosts.Contains(f.Host) &&
                                                   !_taken.Contains(f.Number) && TcpView.Read(f.Bytes) is not null).ToList();
        if (unexpected.Count == 0) return;
        var report = new System.Text.StringBuilder();
        report.Append($"{_scenario.File}: strict: {unexpected.Count} TCP segment{(unexpected.Count == 1 ? "" : "s")} sent that no expectation took");
        foreach (var f in unexpected.Take(6)) report.AppendLine().Append("  * ").Append(FrameDissector.Line(f));
        if (unexpected.Count > 6) report.AppendLine().Append($"  ... and {unexpected.Count - 6} more");
        if (capturePath is not null) report.AppendLine().Append($"  recording: {capturePath}, frame {unexpected[0].Number}");
        Failures.Add(new StepFailure(int.MaxValue, report.ToString()) { Due = unexpected[0].Time });
    }

    /// <summary>"The next segment is exactly this": the first TCP segment the host sends after the last one an
    /// ordered expectation took (on the expectation's connection, when it names one) must match and fall in the
    /// window; without <c>at:</c> it is awaited up to the timeout. The cursor moves to its time.</summary>
    private bool AwaitNextSegment(FrameExpectation e, Instant? observedSince)
    {
        Instant start = WindowStart(observedSince), end = TimeWindow.Open;
        if (e.At is not null)
        {
            (start, end) = Resolve(e.At, TimeWindow.Open);
            var slack = run.Tolerance(start - _cursor);
            start -= e.Tolerance + slack;
            if (end != TimeWindow.Open) end += e.Tolerance + slack + _lateness;
        }
        var host = e.From!;
        int after = _segmentCursor.GetValueOrDefault(host);
        int scan = 0;
        CapturedFrame? next = null;
        bool Seen()
        {
            var frames = run.Log.Frames;
            for (; scan < frames.Count; scan++)
            {
                var f = frames[scan];
                if (f.Number <= after || f.Host != host || TcpView.Read(f.Bytes) is not { } tcp || !OnConnection(e, tcp)) continue;
                next = f;
                return true;
            }
            return false;
        }
        RunWhile(Seen, Instant.Max(end == TimeWindow.Open ? Timeout : end, run.Now));
        var window = new TimeWindow(start, end == TimeWindow.Open ? run.Now : end, end == TimeWindow.Open, run.Now);
        string? problem = null;
        if (next is null) problem = $"{host} sent no further TCP segment";
        else if (!window.Contains(next.Time))
            problem = $"{host}'s next segment was sent at {TimeSyntax.FormatTime(next.Time)}, outside the window";
        else if (_matcher.Mismatch(e, next) is { } why) problem = $"{host}'s next segment differs: {why}";
        if (problem is not null)
        {
            var report = $"{e.Location}: expected {e.Describe()} {window.Describe()}; {problem}";
            if (next is not null) report += Environment.NewLine + "    sent:     " + FrameDissector.Line(next);
            report += Environment.NewLine + "    expected: " + e.Segment?.Text;
            if (capturePath is not null) report += $"{Environment.NewLine}  recording: {capturePath}{(next is null ? "" : $", frame {next.Number}")}";
            Fail(e, report, next?.Time ?? window.Start);
            return false;
        }
        _segmentCursor[host] = next!.Number;
        _taken.Add(next.Number);
        _cursor = next.Time;
        return true;
    }

    private static bool OnConnection(FrameExpectation e, TcpView tcp) =>
        e.Segment?.Connection is not { } c || c.Sent(e.From!) is not { } ends ||
        (tcp.Source == ends.From.Address && tcp.SourcePort == ends.From.Port &&
         tcp.Destination == ends.To.Address && tcp.DestinationPort == ends.To.Port);

    /// <summary>A step the run could not play because of an earlier failure (its time had passed, what it uses was
    /// never opened): reported, not failed.</summary>
    private void Skip(Step step, string reason) =>
        NotRun.Add(new StepFailure(step.Index, $"{step.Location} {(step is ActionStep ? "" : "expect ")}{step.Describe()}") { Reason = reason });

    /// <summary>Thrown when a step cannot be played because an earlier failure took the run past its time.</summary>
    private sealed class StepNotPlayableException(string reason) : Exception(reason);

    /// <summary>Runs the remaining events (retries, timeouts) up to the timeout, leaving the clock at the last one.</summary>
    private void Settle()
    {
        var limit = Instant.Max(Timeout, run.Now);
        while (Loop.NextDue is { } due && due <= limit)
            RunTo(due);
    }

    private void AdvanceTo(Instant t, Step step)
    {
        // On the real wire the clock has always moved on a little since the step before: run now, late.
        if (t < run.Now && !run.IsRealTime && Failures.Count > 0)
            throw new StepNotPlayableException(
                $"its time {TimeSyntax.FormatTime(t)} had passed ({TimeSyntax.FormatTime(run.Now)}) when a failed step before it gave up waiting");
        if (t < run.Now && !run.IsRealTime)
            throw new StepFailedException(
                $"its time {TimeSyntax.FormatTime(t)} is before the current virtual time {TimeSyntax.FormatTime(run.Now)}, reached by an earlier step that waited");
        RunTo(t);
    }

    private void RunTo(Instant t)
    {
        // Also before running: a signal that came while the loop was not running (setting up, judging) stopped
        // nothing, since each run of the loop starts afresh.
        interruption?.ThrowIfInterrupted();
        if (t > run.Now || !run.IsRealTime) Loop.RunUntil(t);
        interruption?.ThrowIfInterrupted();
    }

    private bool RunWhile(Func<bool> done, Instant limit)
    {
        interruption?.ThrowIfInterrupted();
        bool held = Loop.RunUntil(done, limit);
        interruption?.ThrowIfInterrupted();
        return held;
    }

    private (Instant Start, Instant End) Resolve(TimeSpec? at, Instant defaultEnd)
    {
        if (at is null) return (_cursor, defaultEnd);
        var start = at.Start?.Resolve(_cursor) ?? _cursor;
        var end = at.End?.Resolve(_cursor) ?? defaultEnd;
        return (start, end);
    }

    private bool PlayStep(Step step)
    {
        var observedSince = _observedSince;
        _observedSince = null;
        switch (step)
        {
            case ActionStep action:
            {
                var t = action.At?.Start?.Resolve(_cursor) ?? _cursor;
                AdvanceTo(t, step);
                run.CurrentStep = action;
                try
                {
                    action.Run(run);
                }
                finally
                {
                    run.CurrentStep = null;
                }
                // What the step caused happens as late as the step finished (a socket call can take a while).
                _lateness = run.IsRealTime ? Duration.Max(Duration.Zero, run.Now - t) : Duration.Zero;
                _cursor = t;
                return true;
            }
            case FrameExpectation { Ordered: true } ordered:
                return AwaitNextSegment(ordered, observedSince);
            case FrameExpectation frame when frame.At is null && !frame.Negated && frame.Count is null:
                if (run.Now >= Timeout && Failures.Count > 0)
                    throw new StepNotPlayableException($"the run had reached its timeout ({TimeSyntax.FormatTime(Timeout)}) after an earlier failure");
                return AwaitFrame(frame, observedSince);
            case FrameExpectation frame:
            {
                var (start, end) = Resolve(frame.At, TimeWindow.Open);
                // On the real wire a window widens by the tolerance; a window that claims silence narrows instead.
                Duration startSlack = run.Tolerance(start - _cursor), endSlack = end == TimeWindow.Open ? Duration.Zero : run.Tolerance(end - _cursor);
                if (frame.Negated) (startSlack, endSlack) = (-startSlack, -endSlack);
                start -= frame.Tolerance + startSlack;
                if (end != TimeWindow.Open) end += frame.Tolerance + endSlack + (frame.Negated ? Duration.Zero : _lateness);
                _deferred.Add((frame, start, end));
                _cursor = Instant.Max(Instant.Zero, start + frame.Tolerance + startSlack);
                return true;
            }
            case StateExpectation state:
                return AwaitState(state);
            default:
                throw new InvalidOperationException($"unhandled step type {step.GetType().Name}");
        }
    }

    private bool AwaitFrame(FrameExpectation e, Instant? observedSince)
    {
        var start = WindowStart(observedSince);
        int scan = _consumedThrough; // index of the first frame not yet looked at
        CapturedFrame? found = null;
        bool Seen()
        {
            var frames = run.Log.Frames;
            for (; scan < frames.Count; scan++)
            {
                var f = frames[scan];
                if (f.Time >= start && _matcher.Matches(e, f))
                {
                    found = f;
                    return true;
                }
            }
            return false;
        }
        if (start > run.Now) RunTo(start);
        RunWhile(Seen, Instant.Max(Timeout, run.Now));
        if (found is null)
        {
            var window = new TimeWindow(start, run.Now, true, run.Now);
            Fail(e, FrameReport.Build(e, window, "none was seen", run.Log, _matcher, capturePath, [], _consumedThrough), start);
            return false;
        }
        _consumedThrough = found.Number;
        _taken.Add(found.Number);
        _cursor = found.Time;
        return true;
    }

    /// <summary>Where a frame expectation without <c>at:</c> starts looking: the cursor, or earlier on the real wire
    /// when the step before observed a state by polling (see <see cref="_observedSince"/>).</summary>
    private Instant WindowStart(Instant? observedSince) => observedSince is { } since ? Instant.Min(_cursor, since) : _cursor;

    private void JudgeWindow(FrameExpectation e, Instant start, Instant end)
    {
        var (window, counted, problem) = Judge(e, start, end);
        // On the real wire, a miss while our own loop stalled is judged again allowing for the measured stall.
        if (problem is not null && (Loop as RealTimeEventLoop)?.Lateness.StallDuring(start, end) is { Nanoseconds: > 0 } stall)
        {
            var (s, t) = RealWireTolerance.AllowForStall(start, end, e.Negated, stall, TimeWindow.Open);
            (window, counted, problem) = Judge(e, s, t);
            if (problem is not null) problem += $" (allowing for the harness's own measured stall of {TimeSyntax.FormatTime(stall)})";
            else NeededStallAllowance = true;
        }
        if (problem is not null)
        {
            // Due when the first unwanted frame came, or when the window opened.
            var due = (e.Negated || (e.Count is { } n && counted.Count > n)) && counted.Count > 0
                ? run.Log.Frames.First(f => f.Number == counted[e.Count ?? 0]).Time
                : window.Start;
            Fail(e, FrameReport.Build(e, window, problem, run.Log, _matcher, capturePath, counted, _consumedThrough), due);
        }
        else if (!e.Negated) _taken.UnionWith(counted);
    }

    private (TimeWindow Window, List<int> Counted, string? Problem) Judge(FrameExpectation e, Instant start, Instant end)
    {
        bool open = end == TimeWindow.Open;
        var window = new TimeWindow(start, open ? run.Now : end, open, run.Now);
        var counted = new List<int>();
        foreach (var f in run.Log.Between(window.Start, window.End))
            if (_matcher.Matches(e, f)) counted.Add(f.Number);
        string? problem = null;
        if (e.Negated && counted.Count > 0) problem = $"{counted.Count} did";
        else if (e.Count is { } n && counted.Count != n) problem = $"{counted.Count} {(counted.Count == 1 ? "was" : "were")} seen";
        else if (!e.Negated && e.Count is null && counted.Count == 0) problem = "none was seen";
        return (window, counted, problem);
    }

    private bool AwaitState(StateExpectation e)
    {
        Instant due;
        if (e.At is { IsPoint: true } point)
        {
            var t = point.Start!.Value.Resolve(_cursor);
            due = t;
            AdvanceTo(t, e);
            // On the real wire "at t" means within the tolerance after t.
            // A stall of ours measured while waiting widens the tolerance, so the wait goes on to the new limit.
            if (run.IsRealTime)
                while (!RunWhile(() => e.IsSettled(run), t + run.Tolerance(t - _cursor)) && run.Now < t + run.Tolerance(t - _cursor)) { }
            _cursor = t;
        }
        else
        {
            var (start, end) = Resolve(e.At, Instant.Max(Timeout, _cursor));
            due = Instant.Max(start, run.Now);
            if (start > run.Now) AdvanceTo(start, e);
            RunWhile(() => e.IsSettled(run), Instant.Max(end, run.Now));
            if (run.IsRealTime) _observedSince = start;
            _cursor = run.Now;
        }
        if (e.Check(run) is { } problem)
        {
            var report = $"{e.Location}: expected {e.Describe()} at {TimeSyntax.FormatTime(run.Now)}; found {problem}";
            if (run.HarnessStall > Duration.Zero) report += $" (allowing for the harness's own measured stall of {TimeSyntax.FormatTime(run.HarnessStall)})";
            if (capturePath is not null) report += $"{Environment.NewLine}  recording: {capturePath}";
            Fail(e, report, due);
            return false;
        }
        e.Consume(run);
        return true;
    }

    private void Fail(Step step, string report, Instant due) =>
        Failures.Add(new StepFailure(step.Index, report) { Due = due });
}
