using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Drivers.Segments;
using Netstack.Time;

namespace Netstack.Harness.Faults;

/// <summary>The scenario's fault rules applied on the virtual wire (<see cref="IWireFaults"/>): each copy of a
/// frame on its way to a port is dropped, duplicated, delayed, held back behind the next frame, corrupted or
/// truncated by the first rule that selects it. Randomness comes from one seeded generator per rule, so a
/// seed replays the same faults. What was done is noted on the recorded frame (pcapng comments).</summary>
public sealed class WireFaults : IWireFaults
{
    private readonly IReadOnlyList<FaultRule> _rules;
    private readonly RuleState[] _state;
    private readonly FrameLog _log;
    private readonly IScheduler _clock;
    private readonly Dictionary<VirtualPort, string> _hostOfPort;
    private readonly Dictionary<(VirtualPort From, VirtualPort To), HeldFrame> _held = new();

    public WireFaults(IReadOnlyList<FaultRule> rules, Func<SeededRandom> fork, FrameLog log, IScheduler clock,
        Dictionary<VirtualPort, string> hostOfPort)
    {
        _rules = rules;
        _state = rules.Select(_ => new RuleState(fork())).ToArray();
        _log = log;
        _clock = clock;
        _hostOfPort = hostOfPort;
    }

    /// <summary>Deliveries each rule acted on, for reports.</summary>
    public long Applied(int rule) => _state[rule].Applied;

    private sealed class RuleState(SeededRandom random)
    {
        public readonly SeededRandom Random = random;
        public long Matched;
        public long Applied;
    }

    public void Carry(VirtualSegment segment, VirtualPort from, VirtualPort to, ReadOnlySpan<byte> frame, Instant arrival)
    {
        var fromHost = _hostOfPort.GetValueOrDefault(from, from.Name);
        var toHost = _hostOfPort.GetValueOrDefault(to, to.Name);

        // A frame held for reordering goes out right after the next frame on the same path.
        if (_held.Count > 0 && _held.Remove((from, to), out var held))
        {
            held.Timer.Cancel();
            segment.ScheduleArrival(to, frame, arrival);
            segment.ScheduleArrival(to, held.Bytes, arrival);
            return;
        }

        var now = _clock.Now;
        for (int i = 0; i < _rules.Count; i++)
        {
            var rule = _rules[i];
            if (now < rule.Start || now > rule.End) continue;
            if (rule.From is { } f && f != fromHost) continue;
            if (rule.To is { } t && t != toHost) continue;
            if (rule.On is { } on && on != segment.Name) continue;
            if (!rule.Filter.Matches(frame)) continue;
            var state = _state[i];
            long n = ++state.Matched;
            bool selected = rule.Nth is { } nth ? n == nth
                : rule.Count is { } count ? n <= count
                : rule.Probability is not { } p || state.Random.NextDouble() < p;
            if (!selected) continue;
            state.Applied++;
            Apply(rule, state, segment, from, to, toHost, frame, arrival);
            return;
        }
        segment.ScheduleArrival(to, frame, arrival);
    }

    private void Apply(FaultRule rule, RuleState state, VirtualSegment segment, VirtualPort from, VirtualPort to, string toHost,
        ReadOnlySpan<byte> frame, Instant arrival)
    {
        var where = $"fault #{rule.Number}";
        switch (rule.Action)
        {
            case FaultAction.Drop:
                Note(frame, $"dropped toward {toHost} ({where})");
                break;
            case FaultAction.Duplicate:
                segment.ScheduleArrival(to, frame, arrival);
                for (int c = 1; c <= rule.Copies; c++)
                    segment.ScheduleArrival(to, frame, arrival + rule.By * c);
                Note(frame, $"duplicated toward {toHost}: {rule.Copies} extra ({where})");
                break;
            case FaultAction.Delay:
                segment.ScheduleArrival(to, frame, arrival + rule.By);
                Note(frame, $"delayed {TimeSyntax.FormatTime(rule.By)} toward {toHost} ({where})");
                break;
            case FaultAction.Reorder:
            {
                var copy = frame.ToArray();
                var key = (from, to);
                var timer = new Netstack.Time.ScheduledTimer(_clock, () =>
                {
                    if (_held.Remove(key, out var h)) segment.ScheduleArrival(to, h.Bytes, _clock.Now);
                });
                _held[key] = new HeldFrame(copy, timer);
                timer.Arm(arrival + rule.By);
                Note(frame, $"held back toward {toHost} to arrive after the next frame ({where})");
                break;
            }
            case FaultAction.Corrupt:
            {
                var copy = frame.ToArray();
                int offset = rule.Offset ?? (copy.Length > 14 ? 14 + state.Random.NextInt(copy.Length - 14) : state.Random.NextInt(copy.Length));
                int bit = rule.Bit ?? state.Random.NextInt(8);
                if (offset < copy.Length) copy[offset] ^= (byte)(1 << bit);
                segment.ScheduleArrival(to, copy, arrival);
                Note(frame, $"corrupted toward {toHost}: bit {bit} of byte {offset} flipped ({where})");
                break;
            }
            case FaultAction.Truncate:
            {
                int length = Math.Min(rule.Length, frame.Length);
                segment.ScheduleArrival(to, frame[..length], arrival);
                Note(frame, $"truncated toward {toHost} to {length} bytes ({where})");
                break;
            }
        }
    }

    /// <summary>Notes go on the recorded frame being carried: capture happens just before the wire, in the same call.</summary>
    private void Note(ReadOnlySpan<byte> frame, string note)
    {
        if (_log.Count == 0) return;
        var last = _log.Frames[^1];
        if (last.Bytes.AsSpan().SequenceEqual(frame)) last.Notes.Add(note);
    }

    private sealed record HeldFrame(byte[] Bytes, Netstack.Time.ScheduledTimer Timer);
}
