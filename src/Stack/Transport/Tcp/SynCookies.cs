using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>SYN cookies: when a listener's backlog is full, the SYN-ACK's initial sequence number carries
/// all the connection needs later (a keyed hash of the four-tuple and a coarse clock, plus the peer's MSS
/// rounded down to a table entry), so a SYN flood costs no memory; the handshake's final ACK, whose
/// acknowledgment number is cookie + 1, proves the peer saw the SYN-ACK. Window scaling, SACK and
/// timestamps are not encoded, so such connections go without them.</summary>
public sealed class SynCookies
{
    /// <summary>How long one clock value lasts; a cookie is accepted for one to two periods.</summary>
    public static readonly Duration Period = Duration.FromSeconds(64);

    // Common path MSS values (3 bits of the cookie); a peer's MSS is rounded down to one of these.
    private static readonly ushort[] MssTable = [536, 1200, 1360, 1400, 1440, 1452, 1460, 8960];

    private readonly IsnGenerator _keys;
    private readonly IScheduler _scheduler;

    /// <summary>Cookies keyed by the secret of <paramref name="keys"/>, with a clock from <paramref
    /// name="scheduler"/>.</summary>
    public SynCookies(IsnGenerator keys, IScheduler scheduler)
    {
        _keys = keys;
        _scheduler = scheduler;
    }

    private uint Clock => (uint)(_scheduler.Now.Nanoseconds / Period.Nanoseconds);

    /// <summary>The ISS for a SYN-ACK that keeps no state.</summary>
    public uint Make(ConnectionKey key, int peerMss)
    {
        int index = 0;
        for (int i = MssTable.Length - 1; i > 0; i--)
        {
            if (MssTable[i] <= peerMss)
            {
                index = i;
                break;
            }
        }
        return (Hash(key, Clock) & ~7u) | (uint)index;
    }

    /// <summary>True when <paramref name="cookie"/> (SEG.ACK - 1 of a handshake's final ACK) was made for
    /// this four-tuple in this period or the one before; gives the peer MSS it encodes.</summary>
    public bool TryCheck(ConnectionKey key, uint cookie, out int peerMss)
    {
        peerMss = MssTable[cookie & 7];
        uint clock = Clock;
        uint mac = cookie & ~7u;
        return mac == (Hash(key, clock) & ~7u) || (clock > 0 && mac == (Hash(key, clock - 1) & ~7u));
    }

    private uint Hash(ConnectionKey key, uint clock) =>
        _keys.KeyedHash(key.LocalAddress, key.LocalPort, key.RemoteAddress, key.RemotePort, clock);
}
