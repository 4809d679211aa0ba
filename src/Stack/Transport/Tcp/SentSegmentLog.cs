using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>The sender's record of every segment in flight for RACK (RFC 8985 §5.2): its sequence range, when it
/// was last (re)transmitted, and whether it has been SACKed or deemed lost. Ordered by sequence number; the array
/// is allocated with the first segment sent and grows only with the flight, so an idle connection holds none once
/// <see cref="Release"/> has run.</summary>
public sealed class SentSegmentLog
{
    /// <summary>One transmitted segment.</summary>
    public struct Entry
    {
        /// <summary>First sequence number.</summary>
        public SequenceNumber Start;
        /// <summary>Sequence number after the segment (its FIN included).</summary>
        public SequenceNumber End;
        /// <summary>Time of the latest transmission (RFC 8985 Segment.xmit_ts).</summary>
        public Instant SentAt;
        /// <summary>Sent more than once.</summary>
        public bool Retransmitted;
        /// <summary>Selectively acknowledged.</summary>
        public bool Sacked;
        /// <summary>Deemed lost and not sent again since (RFC 8985 Segment.lost).</summary>
        public bool Lost;
        /// <summary>Delivery-rate stamps of the latest transmission (draft-cheng-iccrg-delivery-rate-estimation
        /// P.delivered, P.delivered_time, P.first_sent_time, P.is_app_limited); set only when BBR runs.</summary>
        public long DeliveredAtSend;
        /// <summary>C.delivered_time when the segment was sent.</summary>
        public Instant DeliveredTimeAtSend;
        /// <summary>C.first_sent_time when the segment was sent.</summary>
        public Instant FirstSentAt;
        /// <summary>The sender was application-limited when the segment was sent.</summary>
        public bool AppLimitedAtSend;
    }

    private Entry[] _entries = [];
    private int _head, _count;

    /// <summary>Segments recorded (sent and not cumulatively acknowledged).</summary>
    public int Count => _count;

    /// <summary>The entry at <paramref name="index"/> in sequence order, 0 to <see cref="Count"/> - 1.</summary>
    public ref Entry this[int index] => ref _entries[(_head + index) & (_entries.Length - 1)];

    /// <summary>A transmission of [<paramref name="start"/>, <paramref name="end"/>) at <paramref name="now"/>: new
    /// data past the last entry is appended; anything else marks the entries it overlaps as retransmitted now. With
    /// <paramref name="rate"/>, every entry sent is stamped for delivery-rate sampling (<paramref name="nothingInFlight"/>
    /// restarts its intervals).</summary>
    public void OnSend(SequenceNumber start, SequenceNumber end, Instant now, DeliveryRateEstimator? rate = null,
        bool nothingInFlight = false)
    {
        if (end <= start) return;
        if (_count == 0 || start >= this[_count - 1].End)
        {
            Append(new Entry { Start = start, End = end, SentAt = now });
            rate?.OnTransmit(ref this[_count - 1], nothingInFlight, now);
            return;
        }
        for (int i = 0; i < _count; i++)
        {
            ref var e = ref this[i];
            if (e.End <= start) continue;
            if (e.Start >= end) break;
            e.SentAt = now;
            e.Retransmitted = true;
            e.Lost = false;
            rate?.OnTransmit(ref e, nothingInFlight, now);
            nothingInFlight = false;
        }
        // A retransmission reaching past the last entry (a FIN added, a longer segment) extends the log.
        var last = this[_count - 1].End;
        if (end > last)
        {
            Append(new Entry { Start = last, End = end, SentAt = now });
            rate?.OnTransmit(ref this[_count - 1], nothingInFlight, now);
        }
    }

    private void Append(Entry e)
    {
        if (_count == _entries.Length)
        {
            var bigger = new Entry[Math.Max(16, _entries.Length * 2)];
            for (int i = 0; i < _count; i++) bigger[i] = this[i];
            _entries = bigger;
            _head = 0;
        }
        _count++;
        this[_count - 1] = e;
    }

    /// <summary>Drops the entries wholly below <paramref name="una"/>.</summary>
    public void AdvanceTo(SequenceNumber una)
    {
        while (_count > 0 && this[0].End <= una)
        {
            _head = (_head + 1) & (_entries.Length - 1);
            _count--;
        }
    }

    /// <summary>RFC 8985 §6.2 "sent after": later transmission time, or the same time and a higher end.</summary>
    public static bool SentAfter(in Entry a, in Entry b) => a.SentAt > b.SentAt || (a.SentAt == b.SentAt && a.End > b.End);

    /// <summary>Marks every entry neither SACKed nor lost as lost, as a retransmission timeout does (RFC 8985
    /// §6.3), and forgets SACKs when <paramref name="forgetSacks"/> (RFC 6675 §5.1).</summary>
    public void MarkAllLost(bool forgetSacks)
    {
        for (int i = 0; i < _count; i++)
        {
            ref var e = ref this[i];
            if (forgetSacks) e.Sacked = false;
            if (!e.Sacked) e.Lost = true;
        }
    }

    /// <summary>Octets in flight (RFC 8985 with RFC 6675's pipe in mind): neither SACKed nor lost.</summary>
    public int InFlight()
    {
        long n = 0;
        for (int i = 0; i < _count; i++)
        {
            ref var e = ref this[i];
            if (!e.Sacked && !e.Lost) n += e.End - e.Start;
        }
        return (int)Math.Min(n, int.MaxValue);
    }

    /// <summary>The first entry deemed lost and not sent again since; -1 if none.</summary>
    public int FirstLost()
    {
        for (int i = 0; i < _count; i++)
            if (this[i].Lost && !this[i].Sacked) return i;
        return -1;
    }

    /// <summary>Forgets everything and returns the array (the connection is idle or closed).</summary>
    public void Release()
    {
        _entries = [];
        _head = _count = 0;
    }
}
