using System.Net.Sockets;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>The application calls: SEND, RECEIVE, CLOSE, shutdown and ABORT (RFC 9293 §3.10).</summary>
public sealed partial class TcpConnection
{
    /// <summary>Queues up to <paramref name="data"/>.Length bytes; returns how many fit.</summary>
    public int Send(ReadOnlySpan<byte> data)
    {
        if (Error != SocketError.Success) throw new SocketException((int)Error);
        if (_fin.Queued || State is TcpState.Closed or TcpState.TimeWait)
            throw new InvalidOperationException("the send side of this connection is shut down");
        int n = _send.Write(data);
        if (n > 0) Output();
        return n;
    }

    /// <summary>Takes received bytes; 0 when none are waiting (see <see cref="IsReceiveFinished"/>).
    /// Sends a window update when reading opened the window enough to matter.</summary>
    public int Receive(Span<byte> destination)
    {
        int n = _recv.Read(destination);
        AfterRead(n);
        return n;
    }

    /// <summary>Hands up to <paramref name="maxBytes"/> received bytes to <paramref name="handler"/> where they lie
    /// in the receive buffer, without copying them out (once, or twice where the buffer wraps), then takes them as
    /// <see cref="Receive(Span{byte})"/> would (also when the handler throws); returns how many, 0 when none are
    /// waiting. The spans are valid only during the call; the handler must not call into this connection.</summary>
    public int Receive<TState>(System.Buffers.ReadOnlySpanAction<byte, TState> handler, TState state,
        int maxBytes = int.MaxValue)
    {
        _recv.PeekInPlace(maxBytes, out var first, out var second);
        int n = first.Length + second.Length;
        if (n == 0) return 0;
        try
        {
            handler(first, state);
            if (!second.IsEmpty) handler(second, state);
        }
        finally
        {
            _recv.Skip(n);
            AfterRead(n);
        }
        return n;
    }

    /// <summary>After the application took <paramref name="n"/> bytes: auto-tuning, and the ACK or window update the
    /// read allows.</summary>
    private void AfterRead(int n)
    {
        if (n > 0 && _synReceived && State is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2)
        {
            CountReadForTuning(n);
            if (_receiveWindowFilled && _recv.Readable == 0) GrowReceiveBuffer();
            if (_settings.DeferAckUntilRead ? AckOnRead() : AdvertisableRightEdge() - _rcvAdvRight >= Math.Min(_recv.Capacity / 2, 2 * _ourMss))
                SendAck();
        }
    }

    /// <summary><see cref="TcpSettings.DeferAckUntilRead"/>: an ACK for two full segments would shrink the window
    /// offered (the application has not read them yet), so it waits for the read.</summary>
    private bool AckWaitsForRead() =>
        _settings.DeferAckUntilRead && AdvertisableRightEdge() - RcvNxt < _rcvAdvRight - _lastAckSent;

    /// <summary><see cref="TcpSettings.DeferAckUntilRead"/>, after a read: the ACK that waited for it (two full
    /// segments unacknowledged), or a window update when the window offered is down to half the buffer and would at
    /// least double (tcp_cleanup_rbuf).</summary>
    private bool AckOnRead()
    {
        if (_rcvBytesUnacked >= 2 * _largestSegmentSeen) return true;
        int offered = Math.Max(0, _rcvAdvRight - RcvNxt);
        int window = AdvertisableRightEdge() - RcvNxt;
        return 2 * offered <= _recv.Capacity && window >= 2 * offered
            && window - offered >= Math.Min(_recv.Capacity / 2, _ourMss); // receiver SWS avoidance
    }

    /// <summary>Receive-buffer auto-tuning (<see cref="TcpSettings.ReceiveBufferMaxSize"/>): the application read
    /// everything after the peer had filled the window, so the window held the transfer back; the buffer doubles.</summary>
    private void GrowReceiveBuffer()
    {
        _receiveWindowFilled = false;
        int target = (int)Math.Min(_settings.ReceiveBufferMaxSize, 2L * _recv.Capacity);
        _recv.TryGrow(target);
    }

    /// <summary>The data just taken left less than a quarter of the window last offered (or of a segment): the peer
    /// is sending as fast as the window lets it (a TSO sender waits for room for a whole large segment, so the
    /// window is seldom filled to the byte).</summary>
    private void NoteWindowFilled()
    {
        if (ReceiveBufferCanGrow
            && _rcvAdvRight - _recv.Next < Math.Max(_ourMss, (_rcvAdvRight - _lastAckSent) / 4))
            _receiveWindowFilled = true;
    }

    /// <summary>Copies received bytes without taking them (MSG_PEEK): the next <see cref="Receive"/> returns them
    /// again, and the window does not move. 0 when none are waiting.</summary>
    public int Peek(Span<byte> destination) => _recv.Peek(destination);

    /// <summary>CLOSE (RFC 9293 §3.10.4): no more data from us; a FIN follows what is queued.</summary>
    public void Close()
    {
        switch (State)
        {
            case TcpState.SynSent:
                Fail(SocketError.OperationAborted);
                return;
            case TcpState.SynReceived:
                _fin.Queued = true;
                return;
            case TcpState.Established:
                _fin.Queued = true;
                State = TcpState.FinWait1;
                break;
            case TcpState.CloseWait:
                _fin.Queued = true;
                State = TcpState.LastAck;
                break;
            default:
                return;
        }
        Output();
    }

    /// <summary>The application will read no more: later data draws a reset (RFC 1122 §4.2.2.13).</summary>
    public void ShutdownReceive()
    {
        _receiveShutdown = true;
        StartOrphanTimeout();
    }

    /// <summary>A FIN-WAIT-2 connection nobody will read from could wait for the peer's FIN forever;
    /// like Linux's tcp_fin_timeout, give it as long as TIME-WAIT lasts, then drop it.</summary>
    private void StartOrphanTimeout()
    {
        if (_receiveShutdown && State == TcpState.FinWait2) _timeWaitTimer.Start(_settings.TimeWaitDuration);
    }

    /// <summary>SND.NXT, or the right edge of the peer's window when SND.NXT has passed it (a zero-window probe
    /// byte): a reset beyond the window is dropped by the peer (RFC 5961 §3; Linux's tcp_acceptable_seq).</summary>
    private SequenceNumber AcceptableSequence => _sndUna + _sndWnd < _sndNxt ? _sndUna + _sndWnd : _sndNxt;

    /// <summary>ABORT (RFC 9293 §3.10.5): reset the peer and drop everything.</summary>
    public void Abort()
    {
        if (State is TcpState.SynReceived or TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2
            or TcpState.CloseWait)
        {
            if (_settings.AbortResetCarriesAck && _synReceived)
            {
                _counters.TcpResetsSent++;
                Emit(AcceptableSequence, TcpFlags.Rst | TcpFlags.Ack, 0, 0);
            }
            else _tcp.SendReset(Key, AcceptableSequence.Value, 0, false);
        }
        if (State != TcpState.Closed) Fail(SocketError.OperationAborted);
        _recv.Release();
    }
}
