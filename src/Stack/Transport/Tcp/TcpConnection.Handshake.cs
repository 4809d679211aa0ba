using System.Net.Sockets;
using Netstack.Diagnostics;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>Opening: active and passive OPEN, SYN cookies, the SYN-SENT state and reaching ESTABLISHED.</summary>
public sealed partial class TcpConnection
{
    /// <summary>OPEN, active: send a SYN (RFC 9293 §3.10.1).</summary>
    internal void OpenActive(uint iss)
    {
        InitSend(iss);
        State = TcpState.SynSent;
        EmitSyn(ack: false);
    }

    /// <summary>A SYN arrived at a listener: SYN-RECEIVED, answer with SYN-ACK (RFC 9293 §3.10.7.2).</summary>
    internal void OpenPassive(uint iss, in TcpSegment syn, in TcpHeaderOptions options)
    {
        InitSend(iss);
        ReceiveSyn(new SequenceNumber(syn.SequenceNumber), options);
        _sndWnd = syn.Window; // never scaled in a SYN (RFC 7323 §2.2)
        _maxSndWnd = _sndWnd;
        _sndWl1 = new SequenceNumber(syn.SequenceNumber);
        State = TcpState.SynReceived;
        EmitSyn(ack: true);
    }

    /// <summary>The final ACK of a handshake answered with a SYN cookie: rebuild SYN-RECEIVED from the cookie
    /// (ISS, the peer's MSS) and the ACK (IRS = SEG.SEQ - 1), then process the ACK as SYN-RECEIVED would.</summary>
    internal void OpenFromCookie(uint iss, int peerMss, in TcpSegment ack, in TcpHeaderOptions options)
    {
        InitSend(iss);
        _rttTiming = false; // the SYN-ACK's send time is not known
        var synOptions = TcpHeaderOptions.None;
        synOptions.Mss = (ushort)peerMss;
        var irs = new SequenceNumber(ack.SequenceNumber) - 1;
        ReceiveSyn(irs, synOptions);
        _sndWnd = ack.Window;
        _maxSndWnd = _sndWnd;
        _sndWl1 = irs;
        State = TcpState.SynReceived;
        OnSegmentSynchronized(ack, options);
        FinishSegment();
    }

    private void InitSend(uint iss)
    {
        _iss = new SequenceNumber(iss);
        _sndUna = _iss;
        _sndNxt = _iss + 1;
        _sndMax = _sndNxt;
        _recover = _iss;
        _highRxt = _iss;
        _smallSentEnd = _iss;
        _rttTiming = true;
        _rttSeq = _iss;
        _rttStart = _scheduler.Now;
    }

    /// <summary>Learns the peer's initial sequence number and settles the options (RFC 7323 §2.2, §3.2:
    /// an option is in use only if both SYNs carried it).</summary>
    private void ReceiveSyn(SequenceNumber seq, in TcpHeaderOptions o)
    {
        _irs = seq;
        _recv.Next = seq + 1;
        _synReceived = true;
        _lastAckSent = _recv.Next;
        // Floor as Linux's tcp_min_snd_mss (48: 40 bytes of options still leave 8 of data): MSS 8 meant 3,000 segments.
        if (o.Mss != 0) _peerMss = Math.Max((int)o.Mss, MinimumPeerMss);
        _wsEnabled = _settings.WindowScaling && o.WindowScale >= 0;
        _sndShift = _wsEnabled ? o.WindowScale : 0;
        if (!_wsEnabled) _rcvShift = 0;
        _sackEnabled = _settings.Sack && o.SackPermitted;
        _tsEnabled = _settings.Timestamps && o.HasTimestamp;
        if (_tsEnabled) _tsRecent = o.TsVal;
        _cc = ICongestionController.Create(_settings.CongestionControl, SendMss, _settings.InitialWindowSegments,
            _stack.Random, _scheduler.Now);
        _paced = _cc.Paces;
        // The window a SYN-ACK advertises, now that the options (and so the segment size) are known.
        // After an active open the window our SYN carried (sized before the peer's options were known) is the one
        // the peer has; the window then grows from it if the personality does so.
        _rcvAdvRight = _recv.Next + (_settings.ReceiveWindowGrowsFromSynWindow && _rcvWindowCap != int.MaxValue
            ? _rcvWindowCap : SynWindow());
        _quickAcksLeft = _settings.QuickAckSegments;
        InitRecoveryState();
    }

    private void EmitSyn(bool ack)
    {
        Emit(_iss, ack ? TcpFlags.Syn | TcpFlags.Ack : TcpFlags.Syn, 0, 0);
        if (ack) _synAckSentAt = _scheduler.Now;
        _rtxTimer.Start(_rto.Rto);
    }

    /// <summary>RFC 9293 §3.10.7.3.</summary>
    private void OnSegmentInSynSent(in TcpSegment seg, in TcpHeaderOptions opts)
    {
        var flags = seg.Flags;
        var ack = new SequenceNumber(seg.AcknowledgmentNumber);
        bool hasAck = (flags & TcpFlags.Ack) != 0;
        if (hasAck && (ack <= _iss || ack > _sndMax))
        {
            if ((flags & TcpFlags.Rst) == 0) _tcp.SendReset(Key, ack.Value, 0, false);
            _counters.Drop(DropReason.TcpUnacceptable);
            return;
        }
        if ((flags & TcpFlags.Rst) != 0)
        {
            if (hasAck) Fail(SocketError.ConnectionRefused);
            else _counters.Drop(DropReason.TcpUnacceptable);
            return;
        }
        if ((flags & TcpFlags.Syn) == 0)
        {
            _counters.Drop(DropReason.TcpUnacceptable);
            return;
        }
        ReceiveSyn(new SequenceNumber(seg.SequenceNumber), opts);
        _sndWnd = seg.Window;
        _maxSndWnd = _sndWnd;
        _sndWl1 = new SequenceNumber(seg.SequenceNumber);
        _sndWl2 = ack;
        if (hasAck)
        {
            SampleRttOnAck(ack, opts);
            _sndUna = ack;
            _rtxTimer.Stop();
            _retries = 0;
            Establish();
            _ackNow = true;
            // Data or a FIN riding on the SYN-ACK (RFC 9293 §3.10.7.3: continue at "sixth").
            var afterSyn = new SequenceNumber(seg.SequenceNumber) + 1;
            if (!seg.Payload.IsEmpty) ReceiveText(afterSyn, seg.Payload, 0);
            if ((flags & TcpFlags.Fin) != 0)
            {
                _fin.PeerSeen = true;
                _fin.PeerSequence = afterSyn + seg.Payload.Length;
                if (_fin.PeerSequence == _recv.Next) ReceiveFin();
            }
        }
        else
        {
            // Simultaneous open: SYN-RECEIVED, SYN-ACK with our original ISS.
            State = TcpState.SynReceived;
            EmitSyn(ack: true);
        }
    }

    /// <summary>In SYN-RECEIVED the peer acknowledged our SYN with <paramref name="ack"/>: the send window comes from
    /// its segment (RFC 9293 §3.10.7.4), the SYN's retransmission stops and the connection is established.</summary>
    private void EstablishOnSynAcked(SequenceNumber ack, SequenceNumber seq, int window)
    {
        _sndUna = ack;
        _sndWnd = window;
        _maxSndWnd = Math.Max(_maxSndWnd, _sndWnd);
        _sndWl1 = seq;
        _sndWl2 = ack;
        _rtxTimer.Stop();
        _retries = 0;
        Establish();
    }

    private void Establish()
    {
        bool hadListener = Listener is not null;
        if (_fin.Queued)
        {
            // The application closed during the handshake: the FIN goes out now.
            State = TcpState.FinWait1;
        }
        else State = TcpState.Established;
        if (_settings.Keepalive) _keepaliveTimer.Start(_settings.KeepaliveIdle);
        if (hadListener) Listener!.OnEstablished(this);
        else Observer?.OnEstablished(this);
    }
}
