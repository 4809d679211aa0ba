using System.Buffers.Binary;
using System.Security.Cryptography;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>Initial sequence numbers per RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport,
/// secretkey), M a 4 µs clock, F a keyed hash. The key comes from the stack's seeded random source, the
/// clock from its scheduler, so simulations stay deterministic.</summary>
public sealed class IsnGenerator
{
    private readonly IScheduler _scheduler;
    private readonly byte[] _secret = new byte[16];

    /// <summary>Takes its clock from <paramref name="scheduler"/> and draws its 128-bit secret key from <paramref
    /// name="random"/>.</summary>
    public IsnGenerator(IScheduler scheduler, IRandomSource random)
    {
        _scheduler = scheduler;
        BinaryPrimitives.WriteUInt64LittleEndian(_secret, random.NextUInt64());
        BinaryPrimitives.WriteUInt64LittleEndian(_secret.AsSpan(8), random.NextUInt64());
    }

    /// <summary>The initial sequence number for this four-tuple now (RFC 6528 §3).</summary>
    public uint Next(IpAddress local, ushort localPort, IpAddress remote, ushort remotePort)
    {
        uint f = KeyedHash(local, localPort, remote, remotePort, 0);
        uint m = (uint)(_scheduler.Now.Nanoseconds / 4000);
        return unchecked(m + f);
    }

    /// <summary>The offset added to the millisecond clock for TCP timestamps (RFC 7323 §7.1): a keyed hash of
    /// the four-tuple, so it hides the host's uptime yet stays the same for every incarnation of a
    /// connection, whose timestamps then keep increasing, as TIME-WAIT reuse (RFC 6191) relies on.</summary>
    public uint TimestampOffset(IpAddress local, ushort localPort, IpAddress remote, ushort remotePort) =>
        KeyedHash(local, localPort, remote, remotePort, 4);

    private uint KeyedHash(IpAddress local, ushort localPort, IpAddress remote, ushort remotePort, int at)
    {
        Span<byte> input = stackalloc byte[36 + 16];
        int tuple = WriteTuple(input, local, localPort, remote, remotePort);
        _secret.CopyTo(input[tuple..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input[..(tuple + 16)], hash);
        return BinaryPrimitives.ReadUInt32LittleEndian(hash[at..]);
    }

    /// <summary>The four-tuple as hash input: 12 bytes for IPv4 (as it always was, so IPv4 sequence numbers do not
    /// change), 36 for IPv6.</summary>
    private static int WriteTuple(Span<byte> input, IpAddress local, ushort localPort, IpAddress remote, ushort remotePort)
    {
        if (local.IsIpv4)
        {
            local.Ipv4.Write(input);
            BinaryPrimitives.WriteUInt16BigEndian(input[4..], localPort);
            remote.Ipv4.Write(input[6..]);
            BinaryPrimitives.WriteUInt16BigEndian(input[10..], remotePort);
            return 12;
        }
        local.Ipv6.Write(input);
        BinaryPrimitives.WriteUInt16BigEndian(input[16..], localPort);
        remote.Ipv6.Write(input[18..]);
        BinaryPrimitives.WriteUInt16BigEndian(input[34..], remotePort);
        return 36;
    }

    /// <summary>A keyed hash of the four-tuple and <paramref name="salt"/> with the same secret (a longer
    /// input than <see cref="Next"/>'s, so the two never collide), for SYN cookies.</summary>
    public uint KeyedHash(IpAddress local, ushort localPort, IpAddress remote, ushort remotePort, uint salt)
    {
        Span<byte> input = stackalloc byte[36 + 4 + 16];
        int tuple = WriteTuple(input, local, localPort, remote, remotePort);
        BinaryPrimitives.WriteUInt32BigEndian(input[tuple..], salt);
        _secret.CopyTo(input[(tuple + 4)..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input[..(tuple + 4 + 16)], hash);
        return BinaryPrimitives.ReadUInt32LittleEndian(hash);
    }
}
