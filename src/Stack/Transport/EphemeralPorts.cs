using Netstack.Time;

namespace Netstack.Transport;

/// <summary>Ephemeral port choice from the IANA dynamic range (RFC 6335), randomised (RFC 6056) with
/// the stack's seeded generator so simulations stay reproducible.</summary>
public static class EphemeralPorts
{
    /// <summary>First port of the IANA dynamic/private range (RFC 6335 §6).</summary>
    public const ushort First = 49152;
    /// <summary>Last port of the dynamic/private range, inclusive.</summary>
    public const ushort Last = 65535;

    /// <summary>A free port, probing from a random start through the range in order (RFC 6056 §3.3.2); <paramref name="inUse"/> says which are taken. Throws SocketException (AddressAlreadyInUse) when every port is.</summary>
    public static ushort Pick(IRandomSource random, Func<ushort, bool> inUse)
    {
        int span = Last - First + 1;
        int start = random.NextInt(span);
        for (int i = 0; i < span; i++)
        {
            var port = (ushort)(First + (start + i) % span);
            if (!inUse(port)) return port;
        }
        throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.AddressAlreadyInUse);
    }
}
