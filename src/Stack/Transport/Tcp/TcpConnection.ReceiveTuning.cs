using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>Receive-buffer auto-tuning per round trip (<see cref="TcpSettings.ReceiveBufferMaxSize"/>), the rule
/// Linux calls dynamic right-sizing: once per receiver RTT, the bytes the application read in that RTT are compared
/// with the buffer; a window should hold two RTTs of what the application takes, so when it read more than half the
/// buffer in one RTT the buffer doubles (at the next moment it is empty, as the window-filled rule does). The
/// receiver's RTT is the age of the TSval the peer echoes on data (RFC 7323 §4; millisecond clock, at least 1 ms).
/// It complements the window-filled rule, which misses a sender the window holds back while our reads keep moving
/// the right edge (a TSO sender over a tap: `ss -ti` showed it rwnd-limited a quarter of the time at 1 MB).</summary>
public sealed partial class TcpConnection
{
    private Duration _receiverRtt;
    private Instant _readRoundStart;
    private long _readThisRound;

    /// <summary>Auto-tuning is on and the buffer has not reached <see cref="TcpSettings.ReceiveBufferMaxSize"/>.</summary>
    private bool ReceiveBufferCanGrow => _settings.ReceiveBufferMaxSize > _recv.Capacity;

    /// <summary>A data segment echoing one of our TSvals: its age is a sample of the receiver's RTT.</summary>
    private void SampleReceiverRtt(uint tsEcr)
    {
        if (!ReceiveBufferCanGrow || tsEcr == 0) return;
        long ms = Math.Max(1, unchecked((int)(TsNow - tsEcr)));
        if (_receiverRtt <= Duration.Zero) _readRoundStart = _scheduler.Now;
        _receiverRtt = Duration.FromMilliseconds(ms);
    }

    /// <summary>The application took <paramref name="bytes"/>. The first read at least an RTT after the round began
    /// closes it: reading more than half the buffer in it marks the buffer for growth; this read opens the next.</summary>
    private void CountReadForTuning(int bytes)
    {
        if (!ReceiveBufferCanGrow || _receiverRtt <= Duration.Zero) return;
        var now = _scheduler.Now;
        if (now - _readRoundStart >= _receiverRtt)
        {
            if (2 * _readThisRound > _recv.Capacity) _receiveWindowFilled = true;
            _readRoundStart = now;
            _readThisRound = 0;
        }
        _readThisRound += bytes;
    }
}
