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
        if (data.Length == destination.Length) data.CopyTo(destination);
        else for (int i = 0; i < destination.Length; i++) destination[i] = (byte)(i + 8);
    }
}
