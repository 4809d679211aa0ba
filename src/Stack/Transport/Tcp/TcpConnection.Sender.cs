using System.Net.Sockets;
using Netstack.Diagnostics;
using Netstack.Wire;
using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>The sending side: ACK processing, RTT sampling, loss recovery and output under the windows.</summary>
public sealed partial class TcpConnection
{
    /// <summary>RFC 9293 §3.10.7.4 "fifth", plus RFC 5961 §5 ACK range check, congestion control and
    /// SACK. Returns false when the segment must be dropped.</summary>
    private bool ProcessAck(in TcpSegment seg, in TcpHeaderOptions opts, SequenceNumber seq, SequenceNumber ack)
    {
        if (ack > _sndMax)
        {
            _counters.Drop(DropReason.TcpUnacceptable);
            _ackNow = true;
            return false;
        }
        if (ack < _sndUna - Math.Max(_maxSndWnd, 1))
        {
            _counters.Drop(DropReason.TcpUnacceptable);
            ChallengeAck();
            return false;
        }
        int oldWnd = _sndWnd;
        if (_sndWl1 < seq || (_sndWl1 == seq && _sndWl2 <= ack))
        {
            _sndWnd = seg.Window << _sndShift;
            _maxSndWnd = Math.Max(_maxSndWnd, _sndWnd);
            _sndWl1 = seq;
            _sndWl2 = ack;
        }
        bool sackNew = false;
        long sackedBefore = PrrActive ? _scoreboard.SackedBytes() : 0;
        var unaBefore = _sndUna;
        // RFC 2883 §4: a first block below the cumulative ACK, or inside the second block, is a D-SACK.
        bool dsack = false;
        SequenceNumber dsackLeft = default, dsackRight = default;
        if (_sackEnabled && opts.SackBlockCount > 0)
        {
            dsackLeft = new SequenceNumber(opts.SackBlocks[0].Left);
            dsackRight = new SequenceNumber(opts.SackBlocks[0].Right);
            dsack = dsackRight <= ack || (opts.SackBlockCount > 1 && new SequenceNumber(opts.SackBlocks[1].Left) <= dsackLeft
                && dsackRight <= new SequenceNumber(opts.SackBlocks[1].Right));
        }
        if (_sackEnabled)
            for (int i = 0; i < opts.SackBlockCount; i++)
                sackNew |= _scoreboard.Add(new SequenceNumber(opts.SackBlocks[i].Left),
                    new SequenceNumber(opts.SackBlocks[i].Right), ack, _sndMax);
        _rate?.BeginAck();
        if (_sentLog is not null && State != TcpState.SynReceived) OnSegmentsDelivered(opts, ack);

        bool duplicate = false;
        if (ack > _sndUna) OnNewAck(ack, opts);
        else if (ack == _sndUna && _sndMax > _sndUna && seg.Payload.IsEmpty
                 && (seg.Flags & (TcpFlags.Syn | TcpFlags.Fin)) == 0 && (_sackEnabled ? sackNew : _sndWnd == oldWnd))
        {
            duplicate = true;
            if (_frtoState != 0) FrtoOnDuplicateAck();
            else OnDuplicateAck();
        }
        if (_cc is not null && State != TcpState.Closed)
        {
            long delivered = (_sndUna - unaBefore) + (PrrActive ? _scoreboard.SackedBytes() - sackedBefore : 0);
            if (PrrActive && !_sackEnabled && _cc.InRecovery) delivered = PrrDeliveredWithoutSack(delivered, duplicate);
            AfterAck(opts, ack, delivered, dsack, dsackLeft, dsackRight);
        }

        if (_probing && _sndWnd > 0)
        {
            // The window opened: leave persist mode; an unacknowledged probe byte is sent again as data.
            _probing = false;
            _persistTimer.Stop();
            _persistBackoff = 0;
            if (_sndNxt > _sndUna && !_rtxTimer.IsRunning) _sndNxt = _sndUna;
        }

        if (_fin.HasSequence && !_fin.Acked && ack > _fin.Sequence)
        {
            _fin.Sent = true;
            _fin.Acked = true;
            switch (State)
            {
                case TcpState.FinWait1:
                    State = TcpState.FinWait2;
                    StartOrphanTimeout();
                    break;
                case TcpState.Closing:
                    EnterTimeWait();
                    break;
                case TcpState.LastAck:
                    Terminate(SocketError.Success);
                    return false;
            }
        }
        return true;
    }

    private void OnNewAck(SequenceNumber ack, in TcpHeaderOptions opts)
    {
        int acked = ack - _sndUna;
        // Grow the window only while it limits sending (RFC 7661 §4.1 / RFC 5681 §3.1 note): an
        // application-limited sender must not inflate cwnd it never used.
        bool cwndLimited = _sndMax - _sndUna + SendMss >= _cc.Cwnd;
        // An ACK of new data ends any timeout backoff even when it brings no sample: it shows the path
        // delivers again, and a timer left backed off means a minute of silence after the next loss (issue 11).
        _rto.ResetBackoff();
        SampleRttOnAck(ack, opts);
        int dataAcked = Math.Min(acked, _send.Count);
        _send.Consume(dataAcked);
        _sndUna = ack;
        if (_sndNxt < _sndUna) _sndNxt = _sndUna;
        if (_highRxt < _sndUna) _highRxt = _sndUna;
        _scoreboard.AdvanceTo(ack);
        _sentLog?.AdvanceTo(ack);
        _retries = 0;
        _dupAcks = 0;
        if (_cc.InRecovery)
        {
            if (ack >= _cc.RecoveryPoint) _cc.ExitRecovery(_sndMax - _sndUna);
            else if (!_sackEnabled)
            {
                // NewReno partial ACK (RFC 6582 §3.2 step 5): the next hole is lost too. PRR, if on, sets the window.
                RetransmitAt(_sndUna, SendMss);
                if (!PrrActive) _cc.OnPartialAck(acked);
            }
        }
        else if (cwndLimited) _cc.OnNewAck(acked, _scheduler.Now, _rto.SmoothedRtt);

        _tlpInFlight = false;
        if (_frtoState != 0) FrtoOnNewAck(ack);
        if (_sndUna == _sndMax)
        {
            _rtxTimer.Stop();
            _rackTimer?.Stop();
            _ptoArmed = false;
        }
        else ArmRetransmissionTimer(); // RFC 6298 (5.3), or the probe timeout (RFC 8985 §7.2)
        if (dataAcked > 0) Observer?.OnWritable(this);
    }

    private void OnDuplicateAck()
    {
        _dupAcks++;
        if (_cc.InRecovery)
        {
            if (!_sackEnabled && !PrrActive) _cc.OnDuplicateAckInRecovery();
            return;
        }
        if (RackActive)
        {
            // RACK decides loss by time after this ACK (AfterAck); duplicate ACKs only clock out new data.
            LimitedTransmit();
            return;
        }
        // After a tail loss probe, a duplicate ACK (with SACK: one SACKing new data, the probe) shows the hole at
        // SND.UNA was sent at least two RTTs before a segment that arrived: RACK (RFC 8985 §6.2) deems it lost.
        bool lossDetected = _dupAcks >= 3 || (_sackEnabled && _scoreboard.IsLost(_sndUna, SendMss)) || _tlpInFlight;
        if (!lossDetected)
        {
            LimitedTransmit();
            return;
        }
        // RFC 6582 §3.2 step 2: no new fast retransmit for losses from before the last recovery or timeout.
        if ((_sndUna < _recover && _recover != _iss) || _sndNxt != _sndMax) return;
        StartRecovery(inflateForDupAcks: !_sackEnabled && !PrrActive);
        _highRxt = _sndUna + RetransmitAt(_sndUna, SendMss);
    }

    /// <summary>Limited Transmit (RFC 3042, RFC 5681 §3.2 step 1): on the first and second duplicate ACK, one
    /// segment of new data if the receiver's window allows and the flight stays within cwnd + 2 SMSS; cwnd itself
    /// is not changed. Keeps the ACK clock going so a small window can still reach three duplicate ACKs.</summary>
    private void LimitedTransmit()
    {
        if (_dupAcks > 2 || _sndNxt != _sndMax || _probing) return;
        int mss = SendMss;
        int unsent = DataEnd - _sndNxt;
        int len = Math.Min(mss, unsent);
        if (len <= 0) return;
        int inFlight = _sndNxt - _sndUna;
        if (inFlight + len > _sndWnd || inFlight + len > _cc.Cwnd + 2 * mss) return;
        // A short tail only if it is all there is (the sender would not hold it back for Nagle at this point).
        if (len < mss && !NoDelay && (_settings.NagleMinshall ? _smallSentEnd > _sndUna : inFlight > 0)) return;
        SendNew(len, fin: _fin.Queued && !_fin.Sent && len == unsent);
    }

    /// <summary>RTT measurement: from the timestamp echo when timestamps are in use (RFC 7323 §4),
    /// otherwise from one timed segment at a time, never a retransmitted one (Karn).</summary>
    private void SampleRttOnAck(SequenceNumber ack, in TcpHeaderOptions opts)
    {
        if (_rttFromLog)
        {
            _rttFromLog = false;
            _rttTiming = false;
            return;
        }
        if (_tsEnabled && opts.HasTimestamp && opts.TsEcr != 0)
        {
            _rttTiming = false;
            // An echo older than our latest retransmission is the peer's TS.Recent from before it: the
            // retransmission arrived as a duplicate (RFC 7323 §4.3 keeps TS.Recent then) because earlier
            // ACKs were lost. Now - TSecr would time those losses, not the path, and swell RTTVAR for minutes.
            if (_retransmittedSinceSample && unchecked((int)(opts.TsEcr - _lastRetransmitTsVal)) < 0) return;
            _retransmittedSinceSample = false;
            _rto.AddSample(Duration.FromMilliseconds((long)unchecked((int)(TsNow - opts.TsEcr))));
            return;
        }
        if (_rttTiming && ack > _rttSeq)
        {
            _rttTiming = false;
            _rto.AddSample(_scheduler.Now - _rttStart);
        }
    }

    /// <summary>Sends what the windows, Nagle (RFC 896, with Minshall's refinement) and SWS avoidance allow (RFC 9293 §3.8.6.2.1),
    /// or in SACK recovery what the pipe allows (RFC 6675 §5).</summary>
    private void Output()
    {
        if (!CanSendData || _cc is null) return;
        if (_cc.InRecovery && _sackEnabled) SackRecoveryOutput();
        int mss = SendMss;
        while (true)
        {
            var dataEnd = DataEnd;
            int unsent = dataEnd - _sndNxt;
            int inFlight = _sndNxt - _sndUna;
            bool finPending = _fin.Queued && !_fin.Sent;
            if (unsent <= 0)
            {
                if (finPending && unsent == 0 && !_probing) SendNew(0, fin: true);
                break;
            }
            if (_probing) break;
            int window = Math.Min(_sndWnd, _cc.InRecovery && _sackEnabled ? 0 : _cc.Cwnd);
            int usable = window - inFlight;
            int len = Math.Min(Math.Min(mss, unsent), usable);
            if (len <= 0) break;
            if (len < mss)
            {
                bool allQueued = len == unsent;
                // Nagle as Minshall refined it (and Linux does): a short segment waits only for the ACK of an
                // earlier short one, not of full-sized data, so a write's short tail does not sit out the
                // peer's delayed ACK.
                bool nagleAllows = NoDelay || inFlight == 0 || (_settings.NagleMinshall && !(_smallSentEnd > _sndUna));
                bool sendable = allQueued ? nagleAllows : len >= _maxSndWnd / 2 && nagleAllows;
                if (!sendable) break;
            }
            if (!PacingAllows()) break;
            SendNew(len, fin: finPending && len == unsent);
        }
        CheckApplicationLimited();
        // Nothing in flight and data we may not send: the persist timer probes or overrides SWS.
        if (DataEnd - _sndNxt > 0 && _sndNxt == _sndUna && !_rtxTimer.IsRunning && !_persistTimer.IsRunning
            && _pacingTimer is not { IsRunning: true })
            StartPersist();
    }

    /// <summary>During recovery, new data when nothing is being resent below SND.MAX (RFC 6675 §4 NextSeg rule 2):
    /// up to a segment the send window allows, with the FIN if it is the last of the data. False when there is
    /// none to send; <paramref name="unsent"/> is the data not sent yet.</summary>
    private bool TrySendNewSegment(int mss, out int unsent)
    {
        unsent = DataEnd - _sndNxt;
        int usable = _sndUna + _sndWnd - _sndNxt;
        int len = Math.Min(Math.Min(mss, unsent), usable);
        if (len <= 0 || _sndNxt != _sndMax) return false;
        SendNew(len, fin: _fin.Queued && !_fin.Sent && len == unsent);
        return true;
    }

    private void SackRecoveryOutput()
    {
        if (RackActive)
        {
            RackRecoveryOutput();
            return;
        }
        int mss = SendMss;
        for (int guard = 0; guard < 1000; guard++)
        {
            int pipe = _scoreboard.Pipe(_sndUna, _sndMax, _highRxt, mss);
            if (_cc.Cwnd - pipe < mss || !PacingAllows()) return;
            var from = SequenceNumber.Max(_highRxt, _sndUna);
            if (_scoreboard.NextHole(from, lostOnly: true, mss, out var start, out var end))
            {
                _highRxt = start + RetransmitAt(start, Math.Min(mss, end - start));
                continue;
            }
            if (TrySendNewSegment(mss, out _)) continue;
            if (_scoreboard.NextHole(from, lostOnly: false, mss, out start, out end))
            {
                _highRxt = start + RetransmitAt(start, Math.Min(mss, end - start));
                continue;
            }
            // NextSeg rule 4, the rescue retransmission (RFC 6675 §4): once per recovery, the segment holding
            // the highest outstanding un-SACKed octet, so a lost tail need not wait for the RTO. HighRxt stays.
            var highestSacked = _scoreboard.IsEmpty ? _sndUna : SequenceNumber.Max(_sndUna, _scoreboard.HighestSacked);
            if ((!_rescueRxtValid || _sndUna > _rescueRxt) && highestSacked < _sndMax)
            {
                int dataOutstanding = Math.Min(_send.Count, _sndMax - _sndUna);
                var rescueStart = SequenceNumber.Max(highestSacked,
                    _sndUna + Math.Max(0, dataOutstanding - mss));
                if (RetransmitAt(rescueStart, mss) > 0)
                {
                    _rescueRxtValid = true;
                    _rescueRxt = _cc.RecoveryPoint;
                    continue;
                }
            }
            return;
        }
    }

    private void SendNew(int len, bool fin)
    {
        var seq = _sndNxt;
        var flags = TcpFlags.Ack;
        if (len > 0 && len == DataEnd - seq) flags |= TcpFlags.Psh;
        if (fin) flags |= TcpFlags.Fin;
        bool retransmission = seq < _sndMax;
        if (retransmission)
        {
            NoteRetransmission();
            _counters.TcpRetransmissions++;
            if (_rttTiming && seq <= _rttSeq) _rttTiming = false; // Karn
        }
        else if (!_rttTiming && !_tsEnabled && len > 0)
        {
            _rttTiming = true;
            _rttSeq = seq;
            _rttStart = _scheduler.Now;
        }
        Emit(seq, flags, seq - _sndUna, len);
        NoteTransmission(seq, len + (fin ? 1 : 0), retransmission);
        if (len > 0 && len < SendMss && !retransmission) _smallSentEnd = seq + len;
        _sndNxt = seq + len + (fin ? 1 : 0);
        if (_sndNxt > _sndMax) _sndMax = _sndNxt;
        if (fin)
        {
            _fin.Sent = true;
            _fin.HasSequence = true;
            _fin.Sequence = seq + len;
        }
        if (!_rtxTimer.IsRunning || (_ptoArmed && !retransmission))
        {
            // RFC 8985 §7.2: the probe timeout restarts after each transmission of new data.
            ArmRetransmissionTimer();
            _persistTimer.Stop();
        }
        else if (!retransmission) ArmProbeIfSooner();
    }

    /// <summary>New data went out while the RTO (not a probe) guards the flight: RFC 8985 §7.2 starts the probe
    /// timeout after every transmission of new data, and the flight that was one segment (whose PTO includes the
    /// peer's delayed ACK and so lost to the RTO) may now be two. Linux reschedules its loss probe after each
    /// write the same way (tcp_schedule_loss_probe, never later than the pending RTO). Without this a lost pair
    /// of segments waits the whole RTO (issue 11: 200 ms silences at 20% loss).</summary>
    private void ArmProbeIfSooner()
    {
        if (!TailLossProbeAllowed) return;
        var pto = ProbeTimeout();
        if (_scheduler.Now + pto >= _rtxTimer.Deadline) return;
        _ptoArmed = true;
        _rtxTimer.Start(pto);
    }

    /// <summary>Sends up to <paramref name="maxLen"/> bytes again from <paramref name="seq"/> (with the
    /// FIN if it was sent and the segment reaches it). Returns the sequence space covered.</summary>
    /// <remarks>Never past what was sent (SND.MAX): bytes queued since are new data. Resent here they would not
    /// move SND.MAX, and the peer's ACK of them would be refused as acknowledging data never sent, on every
    /// retransmission, until the connection died.</remarks>
    private int RetransmitAt(SequenceNumber seq, int maxLen)
    {
        int offset = seq - _sndUna;
        int sentData = (_fin.Sent ? _fin.Sequence : _sndMax) - seq;
        int len = Math.Max(0, Math.Min(maxLen, Math.Min(_send.Count - offset, sentData)));
        bool fin = _fin.Sent && seq + len == _fin.Sequence;
        if (len == 0 && !fin) return 0;
        var flags = TcpFlags.Ack | (fin ? TcpFlags.Fin : 0);
        // PSH as on the first transmission (and on a timeout's resend through SendNew): the segment reaches the
        // end of the buffered data.
        if (len > 0 && offset + len == _send.Count) flags |= TcpFlags.Psh;
        NoteRetransmission();
        _counters.TcpRetransmissions++;
        if (_rttTiming && seq <= _rttSeq) _rttTiming = false; // Karn
        Emit(seq, flags, offset, len);
        NoteTransmission(seq, len + (fin ? 1 : 0), retransmission: true);
        if (!_rtxTimer.IsRunning) ArmRetransmissionTimer();
        return len + (fin ? 1 : 0);
    }

    /// <summary>Remembers the TSval a retransmission carries, to tell a stale echo from a fresh one.</summary>
    private void NoteRetransmission()
    {
        _retransmittedSinceSample = true;
        _lastRetransmitTsVal = TsNow;
    }

    /// <summary>Arms the retransmission timer: with the probe timeout when a tail loss probe may be sent
    /// (RFC 8985 §7.2), else with the RTO.</summary>
    private void ArmRetransmissionTimer()
    {
        var rto = _rto.Rto;
        if (TailLossProbeAllowed)
        {
            var pto = ProbeTimeout();
            if (pto < rto)
            {
                _ptoArmed = true;
                _rtxTimer.Start(pto);
                return;
            }
        }
        _ptoArmed = false;
        _rtxTimer.Start(rto);
    }

    /// <summary>PTO = 2 SRTT; with one segment in flight, plus the peer's worst-case delayed ACK (RFC 8985 §7.2).</summary>
    private Duration ProbeTimeout()
    {
        var pto = _rto.SmoothedRtt * 2;
        if (_sndMax - _sndUna <= SendMss) pto += _settings.DelayedAckTimeout;
        return pto < MinimumProbeTimeout ? MinimumProbeTimeout : pto;
    }

    /// <summary>Timer granularity floor for the probe timeout: the RTT clock ticks in milliseconds.</summary>
    private static readonly Duration MinimumProbeTimeout = Duration.FromMilliseconds(10);

    /// <summary>RFC 8985 §7.2: an RTT estimate, data in flight, not in loss recovery or timeout backoff, and no
    /// probe already out.</summary>
    private bool TailLossProbeAllowed => _settings.TailLossProbe && CanSendData && _cc is not null && !_cc.InRecovery
        && _frtoState == 0
        && !_tlpInFlight && !_probing && _rto.HasSample && _rto.Backoffs == 0 && _sndMax > _sndUna
        && !(_sndUna < _recover && _recover != _iss);

    /// <summary>RFC 8985 §7.3: the probe is a segment of new data if the windows allow one, else the last
    /// segment sent again; then the RTO guards what is in flight.</summary>
    private void SendLossProbe()
    {
        _tlpInFlight = true;
        _counters.TcpLossProbesSent++;
        int mss = SendMss;
        int unsent = DataEnd - _sndNxt;
        int len = Math.Min(mss, unsent);
        if (len > 0 && _sndNxt == _sndMax && _sndNxt - _sndUna + len <= _sndWnd)
            SendNew(len, fin: _fin.Queued && !_fin.Sent && len == unsent);
        else
        {
            int dataOutstanding = Math.Min(_send.Count, _sndMax - _sndUna);
            var start = _sndUna + Math.Max(0, dataOutstanding - mss);
            RetransmitAt(start, mss);
        }
        _ptoArmed = false;
        _rtxTimer.Start(_rto.Rto);
    }
}
