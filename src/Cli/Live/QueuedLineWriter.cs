using System.Text;
using System.Threading.Channels;

namespace Netstack.Cli.Live;

/// <summary>Lines written on the event loop, printed by a thread of their own: a pipe to stdout or stderr that
/// nobody reads fills up, and a write to it would then block the loop (and with it ping and every connection).
/// At most <see cref="Capacity"/> lines wait; beyond that, lines are counted as dropped rather than held, and
/// the count is printed when the writer is disposed (which waits for the rest to be printed).</summary>
public sealed class QueuedLineWriter : TextWriter
{
    public const int Capacity = 10_000;

    private readonly TextWriter _target;
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly StringBuilder _partial = new();
    private readonly Thread _printer;
    private long _dropped;

    public QueuedLineWriter(TextWriter target, string name)
    {
        _target = target;
        _printer = new Thread(Print) { IsBackground = true, Name = name };
        _printer.Start();
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public override Encoding Encoding => _target.Encoding;

    public override void Write(char value)
    {
        if (value == '\n') WriteLine();
        else if (value != '\r') _partial.Append(value);
    }

    public override void Write(string? value)
    {
        if (value is null) return;
        foreach (var c in value) Write(c);
    }

    public override void WriteLine(string? value)
    {
        _partial.Append(value);
        WriteLine();
    }

    public override void WriteLine()
    {
        var line = _partial.ToString();
        _partial.Clear();
        if (!_lines.Writer.TryWrite(line)) Interlocked.Increment(ref _dropped);
    }

    /// <summary>Lines are printed as soon as the printer gets to them; there is nothing to flush here.</summary>
    public override void Flush() { }

    private void Print()
    {
        var reader = _lines.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var line)) _target.WriteLine(line);
            _target.Flush();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _lines.Writer.TryComplete())
        {
            _printer.Join();
            if (Dropped > 0) _target.WriteLine($"harness: {Dropped} lines of output were dropped: nobody was reading them");
            _target.Flush();
        }
        base.Dispose(disposing);
    }
}
