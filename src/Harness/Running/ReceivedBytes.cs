using System.Buffers;

namespace Netstack.Harness.Running;

/// <summary>The bytes a scenario's TCP connection received that no expectation has consumed yet. The buffer is rented
/// from the shared pool (not zeroed, and reused by the next run once <see cref="Release"/>d) and doubles as it fills;
/// consuming moves a start offset instead of shifting what is left. A megabyte transfer read into a
/// <c>List&lt;byte&gt;</c> grew it through every power of two, each array zeroed by the collector and copied into the next:
/// the largest share of the scenario engine's allocation and of its memset and page-fault time.</summary>
public sealed class ReceivedBytes
{
    private const int InitialCapacity = 4096;

    private byte[] _buffer = [];
    private int _start;

    public int Count { get; private set; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(_start, Count);

    public byte[] ToArray() => Span.ToArray();

    public void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(FreeSpace(bytes.Length));
        Count += bytes.Length;
    }

    /// <summary>Room for at least <paramref name="length"/> more bytes after the last one; <see cref="Commit"/> says how
    /// many were written there.</summary>
    public Span<byte> FreeSpace(int length)
    {
        if (_buffer.Length - _start - Count < length)
        {
            int needed = Count + length;
            if (needed <= _buffer.Length / 2)
                _buffer.AsSpan(_start, Count).CopyTo(_buffer); // enough room once consumed bytes are dropped
            else
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(needed, InitialCapacity), _buffer.Length * 2));
                Span.CopyTo(larger);
                ReturnBuffer();
                _buffer = larger;
            }
            _start = 0;
        }
        return _buffer.AsSpan(_start + Count, length);
    }

    /// <summary>Counts <paramref name="length"/> bytes written into <see cref="FreeSpace"/> as received.</summary>
    public void Commit(int length) => Count += length;

    /// <summary>Drops the first <paramref name="length"/> bytes (an expectation matched them).</summary>
    public void Consume(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Count);
        _start += length;
        Count -= length;
        if (Count == 0) _start = 0;
    }

    /// <summary>Gives the buffer back to the pool at the end of a run; what is still waiting is dropped.</summary>
    public void Release()
    {
        ReturnBuffer();
        _buffer = [];
        _start = 0;
        Count = 0;
    }

    private void ReturnBuffer()
    {
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
    }
}
