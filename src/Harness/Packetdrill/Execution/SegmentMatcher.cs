namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>Compares a segment the stack sent with a <c>&gt;</c> line, as packetdrill does: flags exactly, the
/// sequence range relative to the stack's ISN, <c>ack</c> (as the peer's numbers), <c>win</c> when written, and the
/// option list item by item (<c>...</c> for any options there, <c>&lt;...&gt;</c> for none checked, <c>TS val *</c>).
/// An outgoing TS val is not compared (it is the stack's clock); the first one written pins the mapping the peer's
/// echoes use. Returns null on a match, else what differs.</summary>
public static class SegmentMatcher
{
    /// <param name="anyOptionLayout">Measurement mode: the options' order and their nop/eol padding are not compared,
    /// only which options were sent and their values (a stack may lay them out its own way).</param>
    public static string? Mismatch(TcpSegmentSpec expected, SentTcpSegment live, ConnectionNumbering numbers, bool anyOptionLayout = false)
    {
        var problems = new List<string>();
        var liveFlags = SegmentCodec.Flags(live.Flags);
        if (liveFlags != expected.Flags) problems.Add($"flags {liveFlags}, expected {expected.Flags}");
        if (expected.Flags.Syn && !expected.AbsoluteSequence && numbers.LocalIsn is null)
            numbers.LearnLocalIsn(live.Sequence, expected.Start);
        else if (expected.Flags.Syn && !expected.AbsoluteSequence && liveFlags.Syn && !numbers.SameSyn(live.Sequence, expected.Start))
            numbers.NewConnection(live.Sequence, expected.Start, passive: liveFlags.Ack); // a retransmitted SYN keeps its ISN
        uint start = expected.AbsoluteSequence ? live.Sequence : numbers.LiveToLocal(live.Sequence, liveFlags.Syn);
        if (start != expected.Start || live.PayloadLength != expected.Length)
            problems.Add($"sequence {start}:{start + (uint)live.PayloadLength}({live.PayloadLength}), expected {expected.Start}:{expected.End}({expected.Length})");
        uint liveAck = expected.AbsoluteSequence ? live.Acknowledgment : numbers.LiveToRemote(live.Acknowledgment, liveFlags.Syn);
        if (expected.Ack is uint ack && liveFlags.Ack && liveAck != ack)
            problems.Add($"ack {liveAck}, expected {ack}");
        if (expected.Window is int window && live.Window != window)
            problems.Add($"win {live.Window}, expected {window}");
        if (!expected.Options.AnyOptions)
        {
            var written = expected.Options.Items;
            bool match = anyOptionLayout && !written.OfType<AnyOptionsWildcard>().Any()
                ? SameOptionsAnyOrder(written, live.Options)
                : OptionsMatch(written, 0, live.Options, 0, numbers);
            if (!match)
                problems.Add($"options <{string.Join(",", live.Options)}>, expected {(written.Count == 0 ? "none" : "<" + string.Join(",", written) + ">")}");
            else if (written.OfType<TimestampOption>().FirstOrDefault() is { Value: uint scriptVal } && live.TsVal is uint liveVal)
                numbers.LearnTimestamp(liveVal, scriptVal);
        }
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>Compares an option list as a script wrote it with one read from the wire, item by item, <c>...</c>
    /// standing for any options (zero or more); SACK blocks must already be in the script's numbers.</summary>
    public static bool OptionsMatch(IReadOnlyList<TcpOptionSpec> expected, IReadOnlyList<TcpOptionSpec> live) =>
        OptionsMatch(expected, 0, live, 0, null!);

    private static bool SameOptionsAnyOrder(IReadOnlyList<TcpOptionSpec> expected, IReadOnlyList<TcpOptionSpec> live)
    {
        var remaining = live.Where(o => o is not (NopOption or EolOption)).ToList();
        foreach (var want in expected.Where(o => o is not (NopOption or EolOption)))
        {
            int i = remaining.FindIndex(o => OptionMatches(want, o, null!));
            if (i < 0) return false;
            remaining.RemoveAt(i);
        }
        return remaining.Count == 0;
    }

    private static bool OptionsMatch(IReadOnlyList<TcpOptionSpec> expected, int e, IReadOnlyList<TcpOptionSpec> live, int l, ConnectionNumbering numbers)
    {
        if (e == expected.Count) return l == live.Count || live.Skip(l).All(o => o is EolOption);
        if (expected[e] is AnyOptionsWildcard)
        {
            for (int skip = l; skip <= live.Count; skip++)
                if (OptionsMatch(expected, e + 1, live, skip, numbers)) return true;
            return false;
        }
        return l < live.Count && OptionMatches(expected[e], live[l], numbers) && OptionsMatch(expected, e + 1, live, l + 1, numbers);
    }

    private static bool OptionMatches(TcpOptionSpec expected, TcpOptionSpec live, ConnectionNumbering numbers) => (expected, live) switch
    {
        (TimestampOption x, TimestampOption y) => x.Echo is not uint ecr || ecr == y.Echo,
        // SACK blocks the stack sends are in the peer's numbers, which the script writes as they go on the wire.
        (SackOption x, SackOption y) => x.Blocks.SequenceEqual(numbers is null ? y.Blocks
            : y.Blocks.Select(b => new SackBlockSpec(numbers.LiveToRemote(b.Left, false), numbers.LiveToRemote(b.Right, false)))),
        // A cookie is compared as bytes (the script may write it in upper case or as a name run_all.py defines).
        (FastOpenOption x, FastOpenOption y) => x.Experimental == y.Experimental &&
                                                SegmentCodec.FastOpenCookie(x.Cookie).AsSpan().SequenceEqual(SegmentCodec.FastOpenCookie(y.Cookie)),
        _ => expected.Equals(live),
    };

}
