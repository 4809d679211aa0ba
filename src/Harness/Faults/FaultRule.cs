using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Time;

namespace Netstack.Harness.Faults;

public enum FaultAction
{
    Drop,
    Duplicate,
    Delay,
    Reorder,
    Corrupt,
    Truncate,
}

/// <summary>One <c>faults:</c> entry: what to do to which frames crossing the wire, in which direction,
/// when, and how often. Rules are tried in file order; the first that selects a frame applies.</summary>
public sealed class FaultRule
{
    public required SourceLocation Location { get; init; }
    /// <summary>Position in the <c>faults:</c> list, 1-based, as notes on frames name it.</summary>
    public int Number { get; init; }
    public required FaultAction Action { get; init; }
    public required FrameFilter Filter { get; init; }
    /// <summary>Only frames sent by this host.</summary>
    public string? From { get; init; }
    /// <summary>Only copies delivered to this host.</summary>
    public string? To { get; init; }
    public string? On { get; init; }
    /// <summary>Active window in absolute virtual time, both ends included.</summary>
    public Instant Start { get; init; }
    public Instant End { get; init; } = Instant.MaxValue;
    /// <summary>Only the nth matching frame (1-based).</summary>
    public int? Nth { get; init; }
    /// <summary>Only the first N matching frames.</summary>
    public int? Count { get; init; }
    /// <summary>Each matching frame with this probability, from a generator seeded by the scenario.</summary>
    public double? Probability { get; init; }
    /// <summary>Delay, reorder hold limit, or gap between duplicates.</summary>
    public Duration By { get; init; }
    /// <summary>Extra copies for duplicate.</summary>
    public int Copies { get; init; } = 1;
    /// <summary>Corrupt: the byte to change (null: a seeded random byte after the Ethernet header).</summary>
    public int? Offset { get; init; }
    /// <summary>Corrupt: the bit to flip, 0 = least significant (null: seeded random).</summary>
    public int? Bit { get; init; }
    /// <summary>Truncate: bytes kept.</summary>
    public int Length { get; init; }

    public string Describe()
    {
        var what = Action.ToString().ToLowerInvariant();
        return $"{what} \"{Filter.Expression}\"" + (From is null ? "" : $" from {From}") + (To is null ? "" : $" to {To}") +
               (On is null ? "" : $" on {On}");
    }
}
