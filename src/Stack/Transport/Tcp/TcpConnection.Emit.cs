using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>Building segments: options, payload, header and the advertised window.</summary>
public sealed partial class TcpConnection
{
    private void SendAck() => Emit(_sndNxt, TcpFlags.Ack, 0, 0);

    /// <summary>Builds and sends one segment: options first, then payload from the send buffer, then
    /// the header with its checksum over all of it.</summary>
    private void Emit(SequenceNumber seq, TcpFlags flags, int dataOffset, int len)
    {
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool hasAck = (flags & TcpFlags.Ack) != 0;
        var o = TcpHeaderOptions.None;
        if (syn)
        {
            o.Mss = (ushort)Math.Min(_ourMss, ushort.MaxValue);
            bool synAck = hasAck;
            if (synAck ? _wsEnabled : _settings.WindowScaling) o.WindowScale = (sbyte)_rcvShift;
            o.SackPermitted = synAck ? _sackEnabled : _settings.Sack;
            o.HasTimestamp = synAck ? _tsEnabled : _settings.Timestamps;
            o.Layout = _settings.SynOptionLayout;
        }
        else
        {
            o.HasTimestamp = _tsEnabled;
            int first = 0;
            if (_sackEnabled && _dsackPending && hasAck)
            {
                // RFC 2883: the duplicate range the peer sent again goes first, once.
                o.SackBlocks[0] = new SackBlock(_dsackLeft.Value, _dsackRight.Value);
                o.SackBlockCount = first = 1;
                _dsackPending = false;
            }
            if (_sackEnabled && _recv.OutOfOrderRanges > 0)
                _recv.FillSackBlocks(ref o, _tsEnabled ? 3 : 4, first);
        }
        if (o.HasTimestamp)
        {
            o.TsVal = TsNow;
            o.TsEcr = hasAck ? _tsRecent : 0;
        }
        var rcvNxt = RcvNxt;
        ushort window = AdvertiseWindow(syn);
        int headerLength = TcpSegment.MinHeaderLength + o.Length;
        var buffer = _stack.Buffers.Rent(headerLength + len);
        var segment = buffer.Append(headerLength + len);
        o.Write(segment[TcpSegment.MinHeaderLength..]);
        // The payload is summed while it is copied in; the header adds its own words to that sum.
        ulong payloadSum = len > 0 ? _send.CopyToAndSum(dataOffset, segment.Slice(headerLength, len)) : 0;
        var header = new TcpHeader(Key.LocalPort, Key.RemotePort, seq.Value, hasAck ? rcvNxt.Value : 0, flags, window,
            headerLength);
        TcpSegment.WriteHeader(segment, header, Key.LocalAddress, Key.RemoteAddress, payloadSum);
        if (hasAck)
        {
            _lastAckSent = rcvNxt;
            _ackNow = false;
            _rcvBytesUnacked = 0;
            _delayedAckTimer.Stop();
        }
        _counters.TcpSegmentsSent++;
        _tcp.SendSegment(buffer, Key);
    }

    /// <summary>The window in a SYN or SYN-ACK (never scaled, RFC 7323 §2.2): the free buffer up to 65535, rounded
    /// down to whole segments of the size the peer will send if the personality does so.</summary>
    private int SynWindow()
    {
        int w = Math.Min(_recv.Free, ushort.MaxValue);
        if (!_settings.RoundSynWindowToMss) return w;
        int segment = _ourMss - (_tsEnabled ? TimestampOptionLength : 0);
        return segment > 0 && w >= segment ? w / segment * segment : w;
    }

    /// <summary>The furthest right edge an ACK sent now could advertise: the buffer's free space, capped by what
    /// the window field can carry (<c>65535 &lt;&lt; shift</c>). A window update is worth sending only if this
    /// moves the edge; reading while the window is at its cap would otherwise send duplicate ACKs.</summary>
    private SequenceNumber AdvertisableRightEdge()
    {
        var rcvNxt = RcvNxt;
        var potential = _recv.Next + ReceiveSpace();
        int shift = _wsEnabled ? _rcvShift : 0;
        long cap = (long)ushort.MaxValue << shift;
        return potential - rcvNxt > cap ? rcvNxt + (int)cap : potential;
    }

    /// <summary>The window to advertise, moving the right edge only by at least min(buffer/2, MSS)
    /// (receiver SWS avoidance, RFC 9293 §3.8.6.2.2) and never back (RFC 9293 §3.8.6).</summary>
    private ushort AdvertiseWindow(bool syn)
    {
        // Before scaling is agreed the window field is taken literally (RFC 7323 §2.2); ReceiveSyn set
        // the right edge a SYN-ACK advertises.
        if (syn)
        {
            int synWindow = _synReceived ? Math.Min(Math.Max(0, _rcvAdvRight - RcvNxt), ushort.MaxValue) : SynWindow();
            _rcvWindowCap = synWindow;
            return (ushort)synWindow;
        }
        if (!_synReceived) return 0;
        var rcvNxt = RcvNxt;
        var potential = _recv.Next + ReceiveSpace();
        int step = _settings.ReceiverSwsAvoidance ? Math.Min(_recv.Capacity / 2, _ourMss) : 1;
        if (potential - _rcvAdvRight >= step || _rcvAdvRight < rcvNxt) _rcvAdvRight = SequenceNumber.Max(potential, rcvNxt);
        int wnd = Math.Max(0, _rcvAdvRight - rcvNxt);
        int shift = _wsEnabled ? _rcvShift : 0;
        if ((wnd >> shift) > ushort.MaxValue)
        {
            // Capped by the field: the peer sees a smaller window than the buffer allows.
            _rcvAdvRight = rcvNxt + (ushort.MaxValue << shift);
            return ushort.MaxValue;
        }
        if (_settings.ScaledWindowRoundsUp) return (ushort)Math.Min(ushort.MaxValue, (wnd + (1 << shift) - 1) >> shift);
        return (ushort)(wnd >> shift);
    }

    /// <summary>The free buffer, capped by the window that grows from the SYN's if the personality does so.</summary>
    private int ReceiveSpace() =>
        _settings.ReceiveWindowGrowsFromSynWindow ? Math.Min(_recv.Free, _rcvWindowCap) : _recv.Free;

    /// <summary>A full-sized segment arrived: the capped window grows by two segments.</summary>
    private void GrowReceiveWindowCap(int payloadLength)
    {
        int segment = _ourMss - (_tsEnabled ? TimestampOptionLength : 0);
        if (!_settings.ReceiveWindowGrowsFromSynWindow || payloadLength < segment) return;
        _rcvWindowCap = (int)Math.Min(int.MaxValue, (long)_rcvWindowCap + 2 * segment);
    }
}
