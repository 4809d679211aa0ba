using System.Net.Sockets;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>Retransmission, persist, delayed-ACK, TIME-WAIT and keepalive timeouts.</summary>
public sealed partial class TcpConnection
{
    private void OnRetransmissionTimeout()
    {
        switch (State)
        {
            case TcpState.SynSent:
                RetransmitSyn(_settings.SynRetries, GiveUpError);
                return;
            case TcpState.SynReceived:
                RetransmitSyn(_settings.SynAckRetries, SocketError.TimedOut);
                return;
        }
        if (!CanSendData || _sndUna == _sndMax) return;
        if (_ptoArmed)
        {
            _ptoArmed = false;
            SendLossProbe();
            return;
        }
        _tlpInFlight = false;
        if (++_retries > _settings.DataRetries)
        {
            Fail(GiveUpError);
            return;
        }
        _rttTiming = false;
        _rackTimer?.Stop();
        if (FrtoOnTimeout())
        {
            _rtxTimer.Start(_rto.Rto);
            return;
        }
        _frtoState = 0;
        if (_rto.Backoffs == 0) SaveForUndo();
        _sentLog?.MarkAllLost(forgetSacks: true);
        // RFC 6298 (5.4)-(5.6) and RFC 5681 (4): one segment from SND.UNA, slow start from a loss window.
        _cc.OnRetransmissionTimeout(_sndMax - _sndUna);
        _recover = _sndMax;
        _dupAcks = 0;
        _scoreboard.Clear();
        _highRxt = _sndUna;
        _rto.Backoff();
        _sndNxt = _sndUna;
        if (_fin.Sent && _sndNxt <= _fin.Sequence) _fin.Sent = false;
        _probing = false;
        Output();
        if (_sndNxt == _sndUna)
        {
            // The window is closed (or Nagle held back): send the first segment regardless.
            int len = Math.Min(SendMss, _send.Count);
            if (len > 0 || _fin.Queued) SendNew(len, fin: _fin.Queued && len == _send.Count);
        }
        _rtxTimer.Start(_rto.Rto);
    }

    /// <summary>Our SYN (or SYN-ACK) timed out: sent again with the RTO backed off and no RTT sample taken from it,
    /// unless <paramref name="limit"/> retries are spent, when the connection fails with <paramref name="error"/>.</summary>
    private void RetransmitSyn(int limit, SocketError error)
    {
        if (++_retries > limit)
        {
            Fail(error);
            return;
        }
        _rto.Backoff();
        _rttTiming = false;
        _counters.TcpRetransmissions++;
        EmitSyn(ack: State == TcpState.SynReceived);
    }

    /// <summary>What a connection that runs out of retries reports: the soft error an ICMP message left (RFC 1122
    /// §4.2.3.9), else a timeout.</summary>
    private SocketError GiveUpError => _softError != SocketError.Success ? _softError : SocketError.TimedOut;

    private void StartPersist()
    {
        var interval = _rto.Rto;
        for (int i = 0; i < _persistBackoff && interval < _settings.MaxRto; i++) interval *= 2;
        if (interval > _settings.MaxRto) interval = _settings.MaxRto;
        _persistTimer.Start(interval);
    }

    /// <summary>Persist timer (RFC 9293 §3.8.6.1): probe a zero window with one byte, backing off; or,
    /// when a small window is open but SWS avoidance held data back, send what fits.</summary>
    private void OnPersistTimeout()
    {
        if (!CanSendData) return;
        int unsent = DataEnd - _sndUna;
        if (unsent <= 0) return;
        if (_sndWnd == 0 || _probing)
        {
            _probing = true;
            _counters.TcpWindowProbesSent++;
            Emit(_sndUna, TcpFlags.Ack, 0, 1);
            if (_sndNxt == _sndUna) _sndNxt = _sndUna + 1;
            if (_sndMax < _sndNxt) _sndMax = _sndNxt;
            _persistBackoff++;
            StartPersist();
            return;
        }
        int len = Math.Min(Math.Min(SendMss, unsent), _sndWnd);
        SendNew(len, fin: false);
    }

    private void OnDelayedAckTimeout()
    {
        if (State.IsSynchronized() && State != TcpState.TimeWait) SendAck();
    }

    private void OnTimeWaitTimeout() => Terminate(SocketError.Success);

    private void OnKeepaliveTimeout()
    {
        if (!_settings.Keepalive || State is not (TcpState.Established or TcpState.CloseWait or TcpState.FinWait2)) return;
        if (_keepaliveProbes >= _settings.KeepaliveProbes)
        {
            Fail(SocketError.TimedOut);
            return;
        }
        _keepaliveProbes++;
        _counters.TcpKeepalivesSent++;
        // RFC 1122 §4.2.3.6: SEG.SEQ = SND.NXT - 1, no data, to elicit an ACK.
        Emit(_sndUna - 1, TcpFlags.Ack, 0, 0);
        _keepaliveTimer.Start(_settings.KeepaliveInterval);
    }
}
