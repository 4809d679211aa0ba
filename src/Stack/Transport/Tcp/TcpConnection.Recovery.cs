using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>Loss recovery beyond RFC 6675: RACK time-based loss detection (RFC 8985 §6), Proportional Rate
/// Reduction (RFC 6937), F-RTO (RFC 5682) and the undo of a reduction that D-SACKs (RFC 2883) or F-RTO show was
/// spurious. Each is switched by <see cref="TcpSettings"/>; off, the connection behaves as before them.</summary>
public sealed partial class TcpConnection
{
    /// <summary>Segments in flight with their send times; only with RACK on and SACK agreed.</summary>
    private SentSegmentLog? _sentLog;
    private TcpTimer? _rackTimer;
    // RACK (RFC 8985 §5.2): the most recently sent delivered segment, its RTT, the highest delivered end.
    private Instant _rackXmit;
    private SequenceNumber _rackEnd, _rackFack;
    private Duration _rackRtt, _minRtt;
    private bool _rackValid, _reorderingSeen;
    /// <summary>This ACK delivered segments in the log: the RTT sample (if any) came from it, not the echo.</summary>
    private bool _rttFromLog;
    private int _reoWndMult = 1;
    // PRR (RFC 6937 §3). Without SACK, _prrDupAckDelivered is what duplicate ACKs were taken to deliver (a segment
    // each) and a cumulative ACK has not yet covered.
    private long _prrDelivered, _prrOut, _prrDupAckDelivered;
    private int _recoverFs;
    // F-RTO (RFC 5682 §2): 1 after the timeout's retransmission, 2 after the new data sent on its first ACK.
    private int _frtoState;
    private SequenceNumber _frtoRecover, _frtoFirstEnd;
    // Undo: the window before the episode and its retransmissions not yet shown spurious by a D-SACK.
    private int _priorCwnd, _priorSsthresh, _undoRetrans;
    private bool _undoValid;

    private bool RackActive => _settings.Rack && _sentLog is not null && _sackEnabled;
    /// <summary>PRR sets the window in fast recovery, unless the controller does (BBR's packet conservation plays
    /// that part).</summary>
    private bool PrrActive => _settings.ProportionalRateReduction && _cc?.UsesProportionalRateReduction != false;

    /// <summary>After the handshake: the per-connection state RACK needs, only if it will be used.</summary>
    private void InitRecoveryState()
    {
        if (_settings.Rack && _sackEnabled && _sentLog is null)
        {
            _sentLog = new SentSegmentLog();
            _rackTimer = new TcpTimer(_scheduler, OnRackTimeout);
            _minRtt = Duration.FromSeconds(3600);
        }
        InitDeliveryRateSampling();
    }

    private void ReleaseRecoveryState()
    {
        _rackTimer?.Stop();
        _pacingTimer?.Stop();
        _sentLog?.Release();
    }

    /// <summary>Every transmission of data or FIN: the RACK log, PRR's prr_out, the undo count.</summary>
    private void NoteTransmission(SequenceNumber seq, int seqLength, bool retransmission)
    {
        _sentLog?.OnSend(seq, seq + seqLength, _scheduler.Now, _rate, _rate is not null && RateSampleInflight() == 0);
        NotePaced(seqLength);
        if (_cc is not null && _cc.InRecovery) _prrOut += seqLength;
        if (retransmission && _undoValid) _undoRetrans++;
    }

    /// <summary>A congestion episode begins: remember the window for a possible undo.</summary>
    private void SaveForUndo()
    {
        if (!_settings.DsackUndo && !_settings.ForwardRto) return;
        _priorCwnd = _cc.Cwnd;
        _priorSsthresh = _cc.Ssthresh;
        _undoRetrans = 0;
        _undoValid = true;
    }

    /// <summary>Fast recovery begins (RFC 6675 §5 / RFC 8985 §6.2): ssthresh falls, PRR starts counting.</summary>
    private void StartRecovery(bool inflateForDupAcks)
    {
        _tlpInFlight = false;
        _rescueRxtValid = false;
        SaveForUndo();
        _cc.EnterRecovery(_sndMax - _sndUna, _sndMax, inflateForDupAcks);
        _recoverFs = _sndMax - _sndUna;
        if (!RackActive) _cc.OnBytesLost(SendMss); // the segment the fast retransmit resends
        _prrDelivered = 0;
        _prrOut = 0;
        // The duplicate ACKs before the one starting recovery each stand for a segment that left the network (that
        // one is counted as this ACK's delivery).
        _prrDupAckDelivered = _sackEnabled ? 0 : (long)Math.Max(0, _dupAcks - 1) * SendMss;
    }

    /// <summary>RACK found a loss outside recovery: recovery begins with the first lost segment sent at once
    /// (RFC 6675 §5 step 4.3; with PRR its first ACK forces the same).</summary>
    private void EnterRackRecovery()
    {
        StartRecovery(inflateForDupAcks: false);
        if (PrrActive) return;
        int i = _sentLog!.FirstLost();
        var e = _sentLog[i];
        int len = Math.Min(SendMss, e.End - e.Start);
        if (RetransmitAt(e.Start, len) == 0) _sentLog[i].Lost = false;
        if (e.Start + len > _highRxt) _highRxt = e.Start + len;
    }

    /// <summary>The ACK just processed: D-SACK undo, RACK's update and loss detection, PRR's window.</summary>
    private void AfterAck(in TcpHeaderOptions opts, SequenceNumber ack, long delivered, bool dsack, SequenceNumber dsackLeft,
        SequenceNumber dsackRight)
    {
        _rttFromLog = false;
        if (dsack) OnDsack(dsackLeft, dsackRight);
        if (RackActive && _frtoState == 0 && State != TcpState.Closed)
        {
            RackDetectLoss();
            if (!_cc.InRecovery && _sentLog!.FirstLost() >= 0 && _sndNxt == _sndMax) EnterRackRecovery();
        }
        if (_cc.InRecovery && PrrActive) PrrOnAck(delivered);
        if (State != TcpState.Closed) DeliverRateSample();
    }

    /// <summary>RFC 6937 §3: cwnd = pipe + sndcnt, sndcnt proportional to delivered data while pipe is above
    /// ssthresh, else slow start back up to it (the SSRB bound).</summary>
    private void PrrOnAck(long delivered)
    {
        int mss = SendMss;
        _prrDelivered += Math.Max(0, delivered);
        int pipe = RackActive ? _sentLog!.InFlight()
            : _sackEnabled ? _scoreboard.Pipe(_sndUna, _sndMax, _highRxt, mss)
            : (int)Math.Max(0, _sndMax - _sndUna - _prrDupAckDelivered);
        long ssthresh = _cc.Ssthresh;
        long sndcnt;
        if (pipe > ssthresh)
            sndcnt = (_prrDelivered * ssthresh + Math.Max(1, _recoverFs) - 1) / Math.Max(1, _recoverFs) - _prrOut;
        else
            sndcnt = Math.Min(ssthresh - pipe, Math.Max(_prrDelivered - _prrOut, delivered) + mss);
        if (sndcnt < 0) sndcnt = 0;
        // The fast retransmit goes whatever the proportion says (RFC 6937 §3.1).
        if (_prrOut == 0 && sndcnt < mss) sndcnt = mss;
        // Without SACK the sender's loop counts everything outstanding against cwnd, not the pipe estimate.
        long basis = _sackEnabled ? pipe : _sndNxt - _sndUna;
        _cc.SetRecoveryWindow((int)Math.Min(int.MaxValue, basis + sndcnt));
    }

    /// <summary>RFC 6937 §3 without SACK: a duplicate ACK delivered one segment; a cumulative ACK delivered what it
    /// covers less what duplicate ACKs already counted.</summary>
    private long PrrDeliveredWithoutSack(long cumulative, bool duplicate)
    {
        if (duplicate)
        {
            _prrDupAckDelivered += SendMss;
            return SendMss;
        }
        long delivered = Math.Max(0, cumulative - _prrDupAckDelivered);
        _prrDupAckDelivered = Math.Max(0, _prrDupAckDelivered - cumulative);
        return delivered;
    }

    /// <summary>The segments an ACK delivers (cumulatively or by SACK), marked in the log. For RACK the most
    /// recently sent of them updates RACK.xmit_ts, end_seq and rtt (RFC 8985 §6.2 step 2), a delivered segment below
    /// the highest delivered one shows reordering (step 3); with delivery-rate sampling each is counted into the
    /// sample.
    /// Call before the log drops the cumulatively acknowledged entries.</summary>
    private void OnSegmentsDelivered(in TcpHeaderOptions opts, SequenceNumber ack)
    {
        var log = _sentLog!;
        int latest = -1;
        var now = _scheduler.Now;
        for (int b = 0; b < opts.SackBlockCount; b++)
        {
            var left = new SequenceNumber(opts.SackBlocks[b].Left);
            var right = new SequenceNumber(opts.SackBlocks[b].Right);
            if (right <= ack) continue; // a D-SACK below the cumulative ACK
            NoteDelivered(log, left, right, ref latest);
        }
        for (int i = 0; i < log.Count && log[i].End <= ack; i++)
        {
            ref var e = ref log[i];
            if (e.Sacked) continue;
            e.Sacked = true;
            _rate?.OnDelivered(e, now);
            CheckReordering(e);
            if (latest < 0 || SentSegmentLog.SentAfter(e, log[latest])) latest = i;
        }
        if (latest < 0 || !RackActive) return;
        var d = log[latest];
        var rtt = now - d.SentAt;
        // The RTO's sample too (RFC 6298 (2.2), Karn: never a retransmitted segment): the segment sent last among
        // those this ACK delivers. A timestamp echo after a hole is filled would time the whole recovery (RFC 7323
        // §4.3 echoes the oldest unacknowledged TSval) and swell the RTO for what is only loss.
        _rttFromLog = true;
        if (!d.Retransmitted) _rto.AddSample(rtt);
        if (!d.Retransmitted && rtt < _minRtt) _minRtt = rtt;
        // A retransmission acknowledged faster than any round trip was the original's delivery: no sample.
        if (d.Retransmitted && rtt < _minRtt) return;
        if (!_rackValid || d.SentAt > _rackXmit || (d.SentAt == _rackXmit && d.End > _rackEnd))
        {
            _rackXmit = d.SentAt;
            _rackEnd = d.End;
            _rackRtt = rtt;
            _rackValid = true;
        }
    }

    /// <summary>Marks the entries inside a SACK block delivered; a newly delivered one may show reordering and may
    /// be the most recently sent so far.</summary>
    private void NoteDelivered(SentSegmentLog log, SequenceNumber left, SequenceNumber right, ref int latest)
    {
        for (int i = 0; i < log.Count; i++)
        {
            ref var e = ref log[i];
            if (e.Start >= right) break;
            if (e.Sacked || e.Start < left || e.End > right) continue;
            e.Sacked = true;
            e.Lost = false;
            _rate?.OnDelivered(e, _scheduler.Now);
            CheckReordering(e);
            if (latest < 0 || SentSegmentLog.SentAfter(e, log[latest])) latest = i;
        }
    }

    private void CheckReordering(in SentSegmentLog.Entry e)
    {
        if (!e.Retransmitted && _rackValid && e.End < _rackFack) _reorderingSeen = true;
        if (!_rackValid || e.End > _rackFack) _rackFack = e.End;
    }

    /// <summary>RFC 8985 §6.2 step 4: no reordering window in recovery or once DupThresh segments are SACKed,
    /// unless reordering has been seen; else a quarter of the minimum RTT (times the D-SACK multiplier), at most
    /// SRTT.</summary>
    private Duration RackReorderingWindow()
    {
        if (!_reorderingSeen)
        {
            if (_cc.InRecovery) return Duration.Zero;
            int sacked = 0;
            for (int i = 0; i < _sentLog!.Count; i++)
                if (_sentLog[i].Sacked) sacked++;
            if (sacked >= 3) return Duration.Zero;
        }
        var window = _minRtt / 4 * _reoWndMult;
        var srtt = _rto.SmoothedRtt;
        return window < srtt ? window : srtt;
    }

    /// <summary>RFC 8985 §6.2 step 5: every segment sent before the most recently sent delivered one is lost once
    /// RACK.rtt plus the reordering window has passed since it went; the earliest still to expire arms the
    /// reordering timer.</summary>
    private void RackDetectLoss()
    {
        if (!_rackValid || _sentLog is null) return;
        var log = _sentLog;
        var now = _scheduler.Now;
        var reoWnd = RackReorderingWindow();
        var timeout = Duration.Zero;
        for (int i = 0; i < log.Count; i++)
        {
            ref var e = ref log[i];
            if (e.Sacked || e.Lost) continue;
            if (!(_rackXmit > e.SentAt || (_rackXmit == e.SentAt && _rackEnd > e.End))) continue;
            var remaining = e.SentAt + (_rackRtt + reoWnd) - now;
            if (remaining <= Duration.Zero)
            {
                e.Lost = true;
                _cc.OnBytesLost(e.End - e.Start);
                _counters.TcpRackLosses++;
            }
            else if (remaining > timeout) timeout = remaining;
        }
        if (timeout > Duration.Zero) _rackTimer!.Start(timeout);
        else _rackTimer!.Stop();
    }

    private void OnRackTimeout()
    {
        if (!CanSendData || !RackActive) return;
        RackDetectLoss();
        if (_sentLog!.FirstLost() < 0) return;
        if (!_cc.InRecovery && _sndNxt == _sndMax) EnterRackRecovery();
        if (_cc.InRecovery && PrrActive) PrrOnAck(0);
        Output();
    }

    /// <summary>SACK recovery driven by RACK's marks: the lost segments first, then new data, while the window
    /// (PRR's, if on) leaves room for a full segment.</summary>
    private void RackRecoveryOutput()
    {
        int mss = SendMss;
        var log = _sentLog!;
        for (int guard = 0; guard < 1000; guard++)
        {
            int pipe = log.InFlight();
            if (_cc.Cwnd - pipe < mss || !PacingAllows()) return;
            int i = log.FirstLost();
            if (i >= 0)
            {
                var e = log[i];
                if (RetransmitAt(e.Start, Math.Min(mss, e.End - e.Start)) == 0) log[i].Lost = false;
                var end = e.Start + Math.Min(mss, e.End - e.Start);
                if (end > _highRxt) _highRxt = end;
                continue;
            }
            if (TrySendNewSegment(mss, out int unsent)) continue;
            if (unsent == 0 && _fin.Queued && !_fin.Sent && _sndNxt == _sndMax)
            {
                SendNew(0, fin: true);
                continue;
            }
            return;
        }
    }

    /// <summary>A D-SACK (RFC 2883) for [left, right): reordering or a spurious retransmission. RACK widens its
    /// reordering window (RFC 8985 §6.2 step 4); once every retransmission of the episode is reported so, the
    /// reduction is undone.</summary>
    private void OnDsack(SequenceNumber left, SequenceNumber right)
    {
        if (RackActive)
        {
            _reorderingSeen = true;
            if (_reoWndMult < 16) _reoWndMult++;
        }
        if (!_settings.DsackUndo || !_undoValid || _undoRetrans <= 0) return;
        int mss = Math.Max(1, SendMss);
        _undoRetrans -= Math.Max(1, (right - left + mss - 1) / mss);
        if (_undoRetrans > 0) return;
        Undo();
    }

    private void Undo()
    {
        _undoValid = false;
        _counters.TcpUndos++;
        _cc.Restore(_priorCwnd, _priorSsthresh);
        _recover = _iss;
    }

    /// <summary>F-RTO (RFC 5682 §2 step 1): the first timeout of an episode resends only the first segment; the
    /// ACKs that follow decide. False when F-RTO does not apply (then the timeout goes back N).</summary>
    private bool FrtoOnTimeout()
    {
        if (!_settings.ForwardRto || _rto.Backoffs > 0 || _frtoState != 0 || _probing || _sndNxt != _sndMax
            || _cc.InRecovery) return false;
        SaveForUndo();
        _undoRetrans = 0;
        _cc.OnRetransmissionTimeout(_sndMax - _sndUna);
        _frtoState = 1;
        _frtoRecover = _sndMax;
        _recover = _sndMax;
        _dupAcks = 0;
        _rto.Backoff();
        _frtoFirstEnd = _sndUna + RetransmitAt(_sndUna, SendMss);
        return true;
    }

    /// <summary>RFC 5682 §2 steps 2-3 on an ACK of new data.</summary>
    private void FrtoOnNewAck(SequenceNumber ack)
    {
        if (_frtoState == 1)
        {
            // Step 2a: an ACK covering 'recover' exactly, or not all of the retransmitted segment, proves nothing:
            // conventional recovery.
            if (ack >= _frtoRecover || ack < _frtoFirstEnd)
            {
                FrtoConventional(firstResent: false);
                return;
            }
            // Step 2b: send up to two new segments; without any, the timeout is handled conventionally.
            int mss = SendMss;
            int sent = 0;
            for (int k = 0; k < 2; k++)
            {
                int unsent = DataEnd - _sndNxt;
                int len = Math.Min(mss, unsent);
                if (len <= 0 || _sndNxt - _sndUna + len > _sndWnd) break;
                SendNew(len, fin: _fin.Queued && !_fin.Sent && len == unsent);
                sent++;
            }
            if (sent > 0) _frtoState = 2;
            else FrtoConventional(firstResent: false);
            return;
        }
        // Step 3b: the second ACK advances SND.UNA too, over data never retransmitted: the timeout was spurious. Undo
        // the reduction (the Eifel response of RFC 4015 in its Linux-like form) and carry on with new data.
        _frtoState = 0;
        _counters.TcpSpuriousTimeouts++;
        if (_undoValid) Undo();
    }

    /// <summary>RFC 5682 §2 step 2a/3a: a duplicate ACK after the timeout's retransmission: the loss was real; go
    /// back and resend what is outstanding in slow start.</summary>
    private void FrtoOnDuplicateAck()
    {
        bool second = _frtoState == 2;
        // After the first ACK the segment resent on the timeout is still unacknowledged and need not go again.
        FrtoConventional(firstResent: !second);
        if (second) _cc.LimitAfterTimeout();
    }

    private void FrtoConventional(bool firstResent)
    {
        _frtoState = 0;
        _dupAcks = 0;
        _sentLog?.MarkAllLost(forgetSacks: false);
        _highRxt = _sndUna;
        _sndNxt = firstResent ? _sndUna + Math.Min(SendMss, _sndMax - _sndUna) : _sndUna;
        if (_fin.Sent && _sndNxt <= _fin.Sequence) _fin.Sent = false;
    }
}
