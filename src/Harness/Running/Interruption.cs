using System.Runtime.InteropServices;
using Netstack.Drivers.Tap;

namespace Netstack.Harness.Running;

/// <summary>SIGINT or SIGTERM during a real-wire run: instead of dying with a namespace left behind, the process
/// stops the loop, the runner throws <see cref="RunInterruptedException"/>, and cleanup runs on the way out.</summary>
public sealed class Interruption : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = new();
    private volatile string? _signal;

    public Interruption(RealTimeEventLoop loop)
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                _signal = signal == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM";
                loop.Stop();
            }));
    }

    public void ThrowIfInterrupted()
    {
        if (_signal is { } s) throw new RunInterruptedException(s);
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}

/// <summary>The run was stopped by a signal; what it had made has been removed.</summary>
public sealed class RunInterruptedException(string signal) : Exception($"interrupted by {signal}")
{
    public string Signal { get; } = signal;
}
