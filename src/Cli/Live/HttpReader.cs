using System.Text;

namespace Netstack.Cli.Live;

/// <summary>Buffered reading of HTTP/1.1 messages from a byte stream: the head up to the blank line,
/// then bodies by Content-Length, chunked coding, or up to the end of the stream. Shared by our server
/// and our client.</summary>
public sealed class HttpReader(Stream stream, int maxHeadLength = 16 * 1024)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>The head (request or status line plus headers, without the blank line), or null when the
    /// stream ends cleanly before a new message begins.</summary>
    public async Task<HttpHead?> ReadHeadAsync()
    {
        while (true)
        {
            int blank = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
            if (blank >= 0)
            {
                // Also when the whole head came in one read: the limit is on the head, not on a read.
                if (blank + 4 > maxHeadLength) throw new HttpProtocolException("message head too long");
                var text = Encoding.Latin1.GetString(_buffer, _start, blank);
                _start += blank + 4;
                return HttpHead.Parse(text);
            }
            if (_end - _start >= maxHeadLength) throw new HttpProtocolException("message head too long");
            if (await FillAsync() == 0)
            {
                if (_end == _start) return null;
                throw new HttpProtocolException("connection closed in the middle of a message head");
            }
        }
    }

    /// <summary>Reads exactly <paramref name="length"/> body bytes, handing each piece to <paramref name="sink"/>.</summary>
    public async Task ReadBodyAsync(long length, Action<ReadOnlyMemory<byte>> sink)
    {
        while (length > 0)
        {
            if (_start == _end && await FillAsync() == 0)
                throw new HttpProtocolException($"connection closed with {length} body bytes missing");
            int n = (int)Math.Min(length, _end - _start);
            sink(_buffer.AsMemory(_start, n));
            _start += n;
            length -= n;
        }
    }

    /// <summary>Reads a body up to the end of the stream (a response without length or chunking).</summary>
    public async Task ReadToEndAsync(Action<ReadOnlyMemory<byte>> sink)
    {
        while (true)
        {
            if (_start < _end)
            {
                sink(_buffer.AsMemory(_start, _end - _start));
                _start = _end;
            }
            if (await FillAsync() == 0) return;
        }
    }

    /// <summary>Reads a chunked body (RFC 9112 §7.1) and its trailer section.</summary>
    public async Task ReadChunkedAsync(Action<ReadOnlyMemory<byte>> sink)
    {
        while (true)
        {
            var sizeLine = await ReadLineAsync();
            int semicolon = sizeLine.IndexOf(';');
            var hex = (semicolon >= 0 ? sizeLine[..semicolon] : sizeLine).Trim();
            // 1*HEXDIG, at most 15 digits so it fits a long: no sign, no wrap to negative (ffffffffffffffff).
            if (hex.Length is 0 or > 15 || !hex.All(char.IsAsciiHexDigit) ||
                !long.TryParse(hex, System.Globalization.NumberStyles.AllowHexSpecifier, null, out long size))
                throw new HttpProtocolException($"bad chunk size '{sizeLine}'");
            if (size == 0)
            {
                while ((await ReadLineAsync()).Length > 0) { } // trailer fields
                return;
            }
            await ReadBodyAsync(size, sink);
            if ((await ReadLineAsync()).Length != 0) throw new HttpProtocolException("chunk not followed by CRLF");
        }
    }

    private async Task<string> ReadLineAsync()
    {
        while (true)
        {
            int eol = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
            if (eol >= 0)
            {
                var line = Encoding.Latin1.GetString(_buffer, _start, eol);
                _start += eol + 2;
                return line;
            }
            if (_end - _start >= maxHeadLength) throw new HttpProtocolException("line too long");
            if (await FillAsync() == 0) throw new HttpProtocolException("connection closed in the middle of a line");
        }
    }

    private async Task<int> FillAsync()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) return 0;
        int n = await stream.ReadAsync(_buffer.AsMemory(_end));
        _end += n;
        return n;
    }
}

/// <summary>The start line and header fields of an HTTP/1.x message.</summary>
public sealed record HttpHead(string StartLine, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public static HttpHead Parse(string text)
    {
        var lines = text.Split("\r\n");
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) throw new HttpProtocolException($"bad header line '{line}'");
            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        return new HttpHead(lines[0], headers);
    }

    public string? this[string name] =>
        Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>Content-Length, or null when absent; malformed values are a protocol error.</summary>
    public long? ContentLength => this["Content-Length"] is { } v
        ? v.Length is > 0 and <= 18 && v.All(char.IsAsciiDigit) && long.TryParse(v, out var n)
            ? n
            : throw new HttpProtocolException($"bad Content-Length '{v}'") // 1*DIGIT: no sign, no -1
        : null;

    public bool IsChunked => this["Transfer-Encoding"]?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true;

    public bool HasConnectionToken(string token) =>
        this["Connection"]?.Split(',').Any(t => t.Trim().Equals(token, StringComparison.OrdinalIgnoreCase)) == true;
}

public sealed class HttpProtocolException(string message) : Exception(message);
