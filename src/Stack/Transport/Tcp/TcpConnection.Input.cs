using System.Net.Sockets;
using Netstack.Diagnostics;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>Segment arrival in the synchronized states (RFC 9293 §3.10.7.4): acceptability, RST, SYN, text, FIN, TIME-WAIT.</summary>
public sealed partial class TcpConnection
{
    internal void OnSegment(in TcpSegment seg, in TcpHeaderOptions opts)
    {
        _counters.TcpSegmentsReceived++;
        if (_settings.Keepalive && State.IsSynchronized())
        {
            _keepaliveProbes = 0;
            _keepaliveTimer.Start(_settings.KeepaliveIdle);
        }
        if (State == TcpState.SynSent)
            OnSegmentInSynSent(seg, opts);
        else if (State.IsSynchronized())
            OnSegmentSynchronized(seg, opts);
        FinishSegment();
    }

    /// <summary>After a segment is processed: tell the application what it can read only now, so a read it makes
    /// in the callback (and the window update that read may send) sees the whole segment, its FIN included;
    /// then send what the segment allowed and the ACK it asked for.</summary>
    private void FinishSegment()
    {
        if (_readablePending)
        {
            _readablePending = false;
            Observer?.OnReadable(this);
        }
        if (State != TcpState.Closed)
        {
            Output();
            if (_ackNow) SendAck();
        }
    }

    /// <summary>RFC 9293 §3.10.7.4 for SYN-RECEIVED through TIME-WAIT, with RFC 5961 and RFC 7323 PAWS.</summary>
    private void OnSegmentSynchronized(in TcpSegment seg, in TcpHeaderOptions opts)
    {
        var flags = seg.Flags;
        var seq = new SequenceNumber(seg.SequenceNumber);
        var payload = seg.Payload;
        bool rst = (flags & TcpFlags.Rst) != 0, syn = (flags & TcpFlags.Syn) != 0, fin = (flags & TcpFlags.Fin) != 0;

        // A retransmitted SYN while our SYN-ACK is unacknowledged: our SYN-ACK was lost, send it again, unless
        // one left just now (our own retransmission crossing the peer's SYN would otherwise go out twice; Linux
        // limits these answers the same way, tcp_invalid_ratelimit).
        if (State == TcpState.SynReceived && syn && !rst && (flags & TcpFlags.Ack) == 0 && seq == _irs)
        {
            if (_scheduler.Now - _synAckSentAt >= DuplicateSynAnswerInterval)
            {
                Emit(_iss, TcpFlags.Syn | TcpFlags.Ack, 0, 0);
                _synAckSentAt = _scheduler.Now;
            }
            return;
        }

        // Simultaneous open (RFC 9293 figure 8): the peer's SYN-ACK completes our SYN-RECEIVED. Its SYN
        // lies just before RCV.NXT, so it is recognised here rather than as an old duplicate.
        if (State == TcpState.SynReceived && Listener is null && syn && !rst && (flags & TcpFlags.Ack) != 0 && seq == _irs)
        {
            var synAckAck = new SequenceNumber(seg.AcknowledgmentNumber);
            if (_sndUna < synAckAck && synAckAck <= _sndMax)
            {
                EstablishOnSynAcked(synAckAck, seq, seg.Window); // a SYN's window is never scaled (RFC 7323 §2.2)
                return;
            }
        }

        // PAWS (RFC 7323 §5.3): an old timestamp marks an old duplicate.
        if (_tsEnabled && opts.HasTimestamp && !rst && unchecked((int)(opts.TsVal - _tsRecent)) < 0)
        {
            _counters.Drop(DropReason.TcpUnacceptable);
            _ackNow = true;
            return;
        }

        // First: sequence number acceptability.
        int segLen = payload.Length + (syn ? 1 : 0) + (fin ? 1 : 0);
        var rcvNxt = RcvNxt;
        int rcvWnd = Math.Max(0, _rcvAdvRight - rcvNxt);
        bool acceptable = segLen == 0
            ? rcvWnd == 0 ? seq == rcvNxt : seq.InRange(rcvNxt, rcvNxt + rcvWnd)
            : rcvWnd == 0
                ? seq == rcvNxt // a zero-window probe: process its ACK, drop its data (RFC 9293 §3.8.6.1)
                : seq.InRange(rcvNxt, rcvNxt + rcvWnd) || (seq + (segLen - 1)).InRange(rcvNxt, rcvNxt + rcvWnd);
        if (!acceptable)
        {
            // In TIME-WAIT the only thing expected is the peer's FIN again: ACK it, restart the 2 MSL wait.
            if (State == TcpState.TimeWait && fin && !rst && seq + payload.Length == _recv.Next)
                _timeWaitTimer.Start(_settings.TimeWaitDuration);
            _counters.Drop(DropReason.TcpUnacceptable);
            if (!syn && !rst && payload.Length > 0 && seq + payload.Length <= rcvNxt)
                NoteDuplicate(seq, seq + payload.Length); // an old duplicate: tell the sender (D-SACK)
            // RFC 5961 §4.2: a SYN draws a (rate-limited) challenge ACK whatever its sequence number.
            if (syn && !rst) ChallengeAck();
            else if (!rst) _ackNow = true;
            return;
        }

        // Second: RST (RFC 5961 §3.2: only an exact match resets; in-window draws a challenge ACK).
        if (rst)
        {
            if (seq == rcvNxt) OnAcceptableReset();
            else ChallengeAck();
            return;
        }

        // Fourth: SYN in a synchronized state (RFC 5961 §4). A half-open connection from a passive OPEN
        // just returns to LISTEN (RFC 9293 §3.10.7.4 fourth).
        if (syn)
        {
            if (State == TcpState.SynReceived && Listener is not null)
            {
                Terminate(SocketError.ConnectionReset);
                return;
            }
            ChallengeAck();
            return;
        }

        // Fifth: ACK.
        if ((flags & TcpFlags.Ack) == 0)
        {
            _counters.Drop(DropReason.TcpUnacceptable);
            return;
        }
        var ack = new SequenceNumber(seg.AcknowledgmentNumber);
        if (State == TcpState.SynReceived)
        {
            if (!(_sndUna < ack && ack <= _sndMax))
            {
                _tcp.SendReset(Key, ack.Value, 0, false);
                return;
            }
            SampleRttOnAck(ack, opts);
            EstablishOnSynAcked(ack, seq, seg.Window << _sndShift);
        }
        if (!ProcessAck(seg, opts, seq, ack)) return;
        if (State == TcpState.Closed) return;

        // TS.Recent update (RFC 7323 §4.3): only for segments covering Last.ACK.sent.
        if (_tsEnabled && opts.HasTimestamp && seq <= _lastAckSent && unchecked((int)(opts.TsVal - _tsRecent)) >= 0)
            _tsRecent = opts.TsVal;

        // Seventh: segment text.
        if (payload.Length > 0 && _tsEnabled && opts.HasTimestamp) SampleReceiverRtt(opts.TsEcr);
        if (payload.Length > 0) ReceiveText(seq, payload, rcvWnd);

        // Eighth: FIN (held until every byte before it has arrived).
        if (fin)
        {
            var finSeq = seq + payload.Length;
            if (finSeq >= _recv.Next && !_fin.Received)
            {
                _fin.PeerSeen = true;
                _fin.PeerSequence = finSeq;
                if (finSeq > _recv.Next) _ackNow = true; // held out of order: duplicate ACK (RFC 5681 §4.2)
            }
            else if (_fin.Received && State == TcpState.TimeWait)
            {
                // A retransmitted FIN: acknowledge it and restart the 2 MSL wait.
                _ackNow = true;
                _timeWaitTimer.Start(_settings.TimeWaitDuration);
            }
            else _ackNow = true;
        }
        if (_fin.PeerSeen && !_fin.Received && _fin.PeerSequence == _recv.Next) ReceiveFin();
    }

    private void OnAcceptableReset()
    {
        switch (State)
        {
            case TcpState.SynReceived when Listener is not null:
                // From a passive open: back to LISTEN, i.e. this half-open connection just goes away.
                Terminate(SocketError.ConnectionReset);
                break;
            case TcpState.SynReceived:
                Fail(SocketError.ConnectionRefused);
                break;
            case TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.CloseWait:
                Fail(SocketError.ConnectionReset);
                break;
            default:
                Terminate(SocketError.Success);
                break;
        }
    }

    private void ReceiveText(SequenceNumber seq, ReadOnlySpan<byte> payload, int rcvWnd)
    {
        if (State is not (TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2))
            return; // after the peer's FIN there is no more text to take (RFC 9293 "seventh")
        if (_receiveShutdown)
        {
            // RFC 1122 §4.2.2.13: data for an application that has closed: reset.
            _tcp.SendReset(Key, _sndNxt.Value, RcvNxt.Value, true);
            Fail(SocketError.ConnectionReset);
            return;
        }
        int skip = _recv.Next - seq;
        if (skip > 0)
        {
            NoteDuplicate(seq, seq + Math.Min(skip, payload.Length));
            if (skip >= payload.Length)
            {
                _ackNow = true; // all duplicate
                return;
            }
            payload = payload[skip..];
            seq += skip;
        }
        // Counted up to a full segment of our MSS, as Linux's rcv_mss (capped at advmss): a coalesced or
        // offloaded 64 KB segment must not make every later ordinary pair of segments wait for the delayed ACK.
        int segmentSize = Math.Min(payload.Length, _ourMss - (_tsEnabled ? TimestampOptionLength : 0));
        if (segmentSize > _largestSegmentSeen) _largestSegmentSeen = segmentSize;
        var before = _recv.Next;
        var result = _recv.Write(seq, payload);
        switch (result)
        {
            case ReceiveBuffer.WriteResult.InOrder:
                GrowReceiveWindowCap(payload.Length);
                NoteWindowFilled();
                _rcvBytesUnacked += _recv.Next - before;
                if (!_settings.DelayedAck || _recv.Next - before < payload.Length
                    || (_rcvBytesUnacked >= 2 * _largestSegmentSeen && !AckWaitsForRead()))
                    _ackNow = true; // every second full-sized segment, or data was cut by the window
                else if (_quickAcksLeft > 0)
                {
                    _quickAcksLeft--;
                    _ackNow = true;
                }
                else if (!_delayedAckTimer.IsRunning)
                    _delayedAckTimer.Start(_settings.DelayedAckTimeout);
                break;
            case ReceiveBuffer.WriteResult.QueueFull:
                _counters.Drop(DropReason.TcpOutOfOrderQueueFull);
                _ackNow = true;
                break;
            case ReceiveBuffer.WriteResult.Duplicate:
                _counters.Drop(DropReason.TcpReceiveBufferFull);
                _ackNow = true;
                break;
            default:
                // Out of order (a duplicate ACK carrying SACK) or a hole filled: acknowledge at once (RFC 5681 §4.2).
                _ackNow = true;
                break;
        }
        if (_recv.Next != before) _readablePending = true;
    }

    private void ReceiveFin()
    {
        _fin.Received = true;
        // Linux lets the ACK of a FIN in ESTABLISHED wait for the delayed-ACK timer or its own next segment.
        if (_settings.DelayFinAck && State == TcpState.Established && _settings.DelayedAck)
        {
            if (!_delayedAckTimer.IsRunning) _delayedAckTimer.Start(_settings.DelayedAckTimeout);
        }
        else _ackNow = true;
        switch (State)
        {
            case TcpState.SynReceived or TcpState.Established:
                State = TcpState.CloseWait;
                break;
            case TcpState.FinWait1:
                if (_fin.Acked) EnterTimeWait();
                else State = TcpState.Closing;
                break;
            case TcpState.FinWait2:
                EnterTimeWait();
                break;
        }
        _readablePending = true;
    }

    private void EnterTimeWait()
    {
        State = TcpState.TimeWait;
        _rtxTimer.Stop();
        _persistTimer.Stop();
        _keepaliveTimer.Stop();
        _timeWaitTimer.Start(_settings.TimeWaitDuration);
        _send.Release();
        ReleaseRecoveryState();
        Observer?.OnClosed(this, SocketError.Success);
    }

    /// <summary>RFC 6191: a new SYN may reopen a connection in TIME-WAIT if it is clearly newer
    /// (a higher timestamp, or without timestamps a higher sequence number).</summary>
    internal bool AcceptsNewIncarnation(in TcpSegment syn, in TcpHeaderOptions opts)
    {
        if (State != TcpState.TimeWait) return false;
        if (_tsEnabled && opts.HasTimestamp) return unchecked((int)(opts.TsVal - _tsRecent)) > 0;
        return new SequenceNumber(syn.SequenceNumber) > RcvNxt;
    }

    private void ChallengeAck()
    {
        if (_tcp.TryTakeChallengeAck())
        {
            _counters.TcpChallengeAcksSent++;
            _ackNow = true;
        }
        else _counters.Drop(DropReason.TcpChallengeAckRateLimited);
    }

    /// <summary>RFC 2883: remember data received twice so the next ACK reports it in a D-SACK block, letting the
    /// sender see that its retransmission was spurious.</summary>
    private void NoteDuplicate(SequenceNumber left, SequenceNumber right)
    {
        if (!_sackEnabled || right <= left) return;
        _dsackPending = true;
        _dsackLeft = left;
        _dsackRight = right;
        _ackNow = true;
    }
}
