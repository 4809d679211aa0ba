using System.Text;

namespace Netstack.Cli.Live;

/// <summary>A static HTTP/1.1 server for one connection at a time per call: GET and HEAD, persistent
/// connections, Content-Length framing. Serves regular files under a directory (see <see cref="WebRoot"/>),
/// or one built-in page when no directory is given. Deliberately small: it exists so that curl and browsers
/// can talk to our TCP. Files are opened and read on the thread pool; the awaits resume on the event loop
/// (its SynchronizationContext), so a slow disk or a FIFO never stalls the loop.</summary>
public sealed class HttpServer(string? root)
{
    private const int FileChunk = 64 * 1024;
    private readonly WebRoot? _root = root is null ? null : new WebRoot(root);

    public static readonly byte[] BuiltInPage = Encoding.UTF8.GetBytes(
        "<!doctype html>\n<html><head><title>netstack</title></head>\n" +
        "<body><h1>netstack</h1><p>Served by a userspace TCP/IP stack written in C#.</p></body></html>\n");

    public long Requests { get; private set; }

    /// <summary>Serves requests on <paramref name="stream"/> until the client closes or asks to. A
    /// <paramref name="guard"/> is told while a request head is awaited, so it can time the head out.</summary>
    public async Task ServeAsync(Stream stream, GuardedStream? guard = null)
    {
        var reader = new HttpReader(stream);
        while (true)
        {
            HttpHead? head;
            string[] parts;
            bool keepAlive;
            try
            {
                guard?.AwaitingHead();
                head = await reader.ReadHeadAsync();
                guard?.HeadReceived();
                if (head is null) return;
                Requests++;
                parts = head.StartLine.Split(' ');
                if (parts.Length != 3 || !parts[1].StartsWith('/') && parts[1] != "*")
                    throw new HttpProtocolException($"bad request line '{head.StartLine}'");
                if (!IsSupportedVersion(parts[2]))
                {
                    // Only 1.0 and 1.1 are spoken; a well-formed other version is refused as such (RFC 9110 §15.6.6).
                    if (!IsWellFormedVersion(parts[2])) throw new HttpProtocolException($"bad version '{parts[2]}'");
                    await WriteSimpleAsync(stream, 505, "HTTP Version Not Supported", keepAlive: false, head: false);
                    return;
                }
                bool http10 = parts[2] == "HTTP/1.0";
                keepAlive = http10 ? head.HasConnectionToken("keep-alive") : !head.HasConnectionToken("close");
                // A request body is read and ignored, so the next request on the connection starts in the right place.
                if (head.IsChunked) await reader.ReadChunkedAsync(static _ => { });
                else if (head.ContentLength is { } length) await reader.ReadBodyAsync(length, static _ => { });
            }
            catch (HttpProtocolException)
            {
                await WriteSimpleAsync(stream, 400, "Bad Request", keepAlive: false, head: false);
                return;
            }

            string method = parts[0];
            if (method is not ("GET" or "HEAD"))
            {
                await WriteSimpleAsync(stream, 405, "Method Not Allowed", keepAlive, head: false, "Allow: GET, HEAD\r\n");
                if (!keepAlive) return;
                continue;
            }
            var path = Uri.UnescapeDataString(parts[1].Split('?', 2)[0]);
            if (path.Contains('\0'))
            {
                // No file name holds a NUL; a path with one is an attack on C string handling, not a miss.
                await WriteSimpleAsync(stream, 400, "Bad Request", keepAlive: false, head: false);
                return;
            }
            await RespondAsync(stream, path, keepAlive, method == "HEAD");
            if (!keepAlive) return;
        }
    }

    private static bool IsSupportedVersion(string version) => version is "HTTP/1.0" or "HTTP/1.1";

    /// <summary>HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3).</summary>
    private static bool IsWellFormedVersion(string version) =>
        version.Length == 8 && version.StartsWith("HTTP/", StringComparison.Ordinal) &&
        char.IsAsciiDigit(version[5]) && version[6] == '.' && char.IsAsciiDigit(version[7]);

    private async Task RespondAsync(Stream stream, string path, bool keepAlive, bool headOnly)
    {
        if (_root is null)
        {
            if (path is "/" or "/index.html")
            {
                await WriteHeadAsync(stream, 200, "OK", BuiltInPage.Length, "text/html; charset=utf-8", keepAlive);
                if (!headOnly) await stream.WriteAsync(BuiltInPage);
            }
            else await WriteSimpleAsync(stream, 404, "Not Found", keepAlive, headOnly);
            return;
        }
        var root = _root;
        using var file = await Task.Run(() => root.Open(path));
        if (file is null)
        {
            await WriteSimpleAsync(stream, 404, "Not Found", keepAlive, headOnly);
            return;
        }
        await WriteHeadAsync(stream, 200, "OK", file.Length, ContentType(file.Path), keepAlive);
        if (headOnly) return;
        var chunk = new byte[(int)Math.Min(FileChunk, Math.Max(1, file.Length))];
        for (long offset = 0; offset < file.Length;)
        {
            long at = offset;
            int want = (int)Math.Min(chunk.Length, file.Length - at);
            int n = await Task.Run(() => RandomAccess.Read(file.Handle, chunk.AsSpan(0, want), at));
            // Exactly the promised Content-Length, or the connection ends: never a different body.
            if (n == 0) throw new IOException($"{file.Path} shrank while it was being sent");
            await stream.WriteAsync(chunk.AsMemory(0, n));
            offset += n;
        }
    }

    private static string ContentType(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".html" or ".htm" => "text/html; charset=utf-8",
        ".txt" => "text/plain; charset=utf-8",
        ".json" => "application/json",
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    };

    private static Task WriteHeadAsync(Stream stream, int status, string reason, long length, string type,
        bool keepAlive, string extra = "")
    {
        var head = $"HTTP/1.1 {status} {reason}\r\nServer: netstack\r\nContent-Type: {type}\r\n" +
                   $"Content-Length: {length}\r\nConnection: {(keepAlive ? "keep-alive" : "close")}\r\n{extra}\r\n";
        return stream.WriteAsync(Encoding.ASCII.GetBytes(head)).AsTask();
    }

    private static async Task WriteSimpleAsync(Stream stream, int status, string reason, bool keepAlive, bool head,
        string extra = "")
    {
        var body = Encoding.ASCII.GetBytes($"{status} {reason}\n");
        await WriteHeadAsync(stream, status, reason, body.Length, "text/plain; charset=utf-8", keepAlive, extra);
        if (!head) await stream.WriteAsync(body);
    }
}
