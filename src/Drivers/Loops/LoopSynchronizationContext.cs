using Netstack.Time;

namespace Netstack.Drivers.Loops;

/// <summary>Makes async/await continuations run on the event loop, in loop order: application code
/// written as ordinary async C# stays single-threaded and, in simulation, deterministic.</summary>
public sealed class LoopSynchronizationContext(IScheduler loop) : SynchronizationContext
{
    public override void Post(SendOrPostCallback d, object? state) => loop.Post(() => d(state));

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("synchronous Send onto the event loop would deadlock; use Post");

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Installs this context for the current thread until disposed.</summary>
    public Scope Enter()
    {
        var previous = Current;
        SetSynchronizationContext(this);
        return new Scope(previous);
    }

    public readonly struct Scope(SynchronizationContext? previous) : IDisposable
    {
        public void Dispose() => SetSynchronizationContext(previous);
    }
}
