namespace Netstack.Harness.Replay;

/// <summary>Who takes over the replayed endpoint: our stack on the virtual wire (virtual time, deterministic), or
/// the Linux kernel in a network namespace behind a tap (real time, root).</summary>
public enum ReplayWire
{
    Virtual,
    Tap,
}
