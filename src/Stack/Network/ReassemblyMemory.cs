using System.Buffers;

namespace Netstack.Network;

/// <summary>The pooled buffers of one family's reassemblies, charged against a byte limit.</summary>
internal sealed class ReassemblyMemory
{
    private readonly int _limit;

    public ReassemblyMemory(int limit) => _limit = limit;

    /// <summary>Bytes of buffers currently held.</summary>
    public int BytesHeld { get; private set; }

    /// <summary>Grows <paramref name="buffer"/> to hold at least <paramref name="needed"/> bytes (doubling, up to
    /// <paramref name="cap"/>), keeping its content; false, leaving it as it was, when that would exceed the
    /// limit.</summary>
    public bool TryGrow(ref byte[] buffer, int needed, int cap)
    {
        if (buffer.Length >= needed) return true;
        int size = Math.Max(needed, Math.Min(buffer.Length * 2, cap));
        // Charge what the pool really hands out (it rounds up), so the limit holds exactly.
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        if (BytesHeld + bigger.Length - buffer.Length > _limit)
        {
            ArrayPool<byte>.Shared.Return(bigger);
            return false;
        }
        buffer.AsSpan().CopyTo(bigger);
        BytesHeld += bigger.Length - buffer.Length;
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
        buffer = bigger;
        return true;
    }

    /// <summary>Returns <paramref name="buffer"/> to the pool and leaves it empty.</summary>
    public void Return(ref byte[] buffer)
    {
        if (buffer.Length == 0) return;
        BytesHeld -= buffer.Length;
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
    }
}
