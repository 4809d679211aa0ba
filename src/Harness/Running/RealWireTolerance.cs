namespace Netstack.Harness.Running;

/// <summary>How far a time on the real wire may stray from the scenario's: the larger of 4 ms and an eighth of
/// the interval it was measured over (packetdrill's rule of thumb: a fixed floor for scheduling jitter, a
/// proportion for timers that scale with what they time). The virtual wire gets none: it is exact.</summary>
public static class RealWireTolerance
{
    public const long FloorNanoseconds = 4_000_000;

    public static long For(long intervalNanoseconds) => Math.Max(FloorNanoseconds, Math.Abs(intervalNanoseconds) / 8);

    /// <summary>How long a run on the real wire goes on after its last step, so the frames that step caused (the
    /// last ACK of a close) are recorded before windows are judged.</summary>
    public const long LingerNanoseconds = 100_000_000;
}
