namespace Netstack.Tests.Tap;

/// <summary>A duplex stream for protocol handlers: reads return the scripted input in pieces of at most
/// <c>readSize</c> bytes (then end of stream), writes are collected.</summary>
public sealed class ScriptedStream(byte[] input, int readSize = 7) : Stream
{
    private int _position;

    public MemoryStream Written { get; } = new();

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = Math.Min(Math.Min(count, readSize), input.Length - _position);
        Array.Copy(input, _position, buffer, offset, n);
        _position += n;
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
