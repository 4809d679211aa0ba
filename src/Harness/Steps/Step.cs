using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Steps;

/// <summary>One line of a scenario: something to do, or something to expect, at a virtual time.</summary>
public abstract class Step
{
    public SourceLocation Location { get; private set; }
    /// <summary>The step's <c>at:</c>, or null when it follows the previous step (actions run right away,
    /// expectations wait for what they expect).</summary>
    public TimeSpec? At { get; private set; }
    /// <summary>Position in the file, for ordering failures.</summary>
    public int Index { get; private set; }

    /// <summary>Sets the header every step shares (where it is written, when it happens, its position); the
    /// loader does this once for every kind of step.</summary>
    internal Step Place(SourceLocation location, TimeSpec? at, int index)
    {
        Location = location;
        At = at;
        Index = index;
        return this;
    }

    /// <summary>What the step does or expects, in words, for reports.</summary>
    public abstract string Describe();

    public override string ToString() => Describe();
}

/// <summary>A step that makes something happen (an application call, a wait).</summary>
public abstract class ActionStep : Step
{
    public abstract void Run(ScenarioRun run);

    /// <summary>The frame this step causes, which the recording's comment naming the step goes on (it may leave
    /// later, behind ARP); null when the step's comment goes on whatever it sends while it runs.</summary>
    public virtual Trace.FrameCause? Cause => null;
}

/// <summary>An expectation about state (ping results, caches, sockets, counters) checked at a time, or
/// awaited until it holds.</summary>
public abstract class StateExpectation : Step
{
    /// <summary>Null when the expectation holds now; otherwise what was found instead.</summary>
    public abstract string? Check(ScenarioRun run);

    /// <summary>True when waiting longer cannot change the verdict; by default, when it holds.</summary>
    public virtual bool IsSettled(ScenarioRun run) => Check(run) is null;

    /// <summary>Called once the expectation held: takes what it matched (a received datagram) out of the way.</summary>
    public virtual void Consume(ScenarioRun run) { }
}
