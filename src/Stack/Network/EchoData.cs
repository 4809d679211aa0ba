namespace Netstack.Network;

/// <summary>The data of an echo request we send, over either family: the caller's bytes when a capture replay
/// repeats a ping, else the pattern iputils ping puts after its timestamp (bytes counting up from 0x08), so our
/// pings look like Linux's in a capture.</summary>
internal static class EchoData
{
    /// <summary>Fills <paramref name="destination"/> with <paramref name="data"/> when that is as long, else with
    /// the pattern.</summary>
    internal static void Write(Span<byte> destination, ReadOnlySpan<byte> data)
    {
        if (data.Length == destination.Length)
        {
            data.CopyTo(destination);
            return;
        }
        // The pattern repeats every 256 bytes: copied in blocks rather than written byte by byte (every flood
        // request fills one).
        ReadOnlySpan<byte> pattern = PatternBytes;
        for (int i = 0; i < destination.Length; i += pattern.Length)
        {
            var block = destination.Slice(i, Math.Min(pattern.Length, destination.Length - i));
            pattern[..block.Length].CopyTo(block);
        }
    }

    /// <summary>One period of the pattern: bytes counting up from 0x08, wrapping at 256.</summary>
    private static readonly byte[] PatternBytes = MakePattern();

    private static byte[] MakePattern()
    {
        var pattern = new byte[256];
        for (int i = 0; i < pattern.Length; i++) pattern[i] = (byte)(i + 8);
        return pattern;
    }
}
