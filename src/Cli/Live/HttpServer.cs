using System.Text;

namespace Netstack.Cli.Live;

/// <summary>A static HTTP/1.1 server for one connection at a time per call: GET and HEAD, persistent
/// connections, Content-Length framing. Serves files under a directory, or one built-in page when no
/// directory is given. Deliberately small: it exists so that curl and browsers can talk to our TCP.</summary>
public sealed class HttpServer(string? root)
{
    private const int FileChunk = 64 * 1024;
    private readonly string? _root = root is null ? null : Path.GetFullPath(root);

    public static readonly byte[] BuiltInPage = Encoding.UTF8.GetBytes(
        "<!doctype html>\n<html><head><title>netstack</title></head>\n" +
        "<body><h1>netstack</h1><p>Served by a userspace TCP/IP stack written in C#.</p></body></html>\n");

    public long Requests { get; private set; }

    /// <summary>Serves requests on <paramref name="stream"/> until the client closes or asks to.</summary>
    public async Task ServeAsync(Stream stream)
    {
        var reader = new HttpReader(stream);
        while (true)
        {
            HttpHead? head;
            try
            {
                head = await reader.ReadHeadAsync();
            }
            catch (HttpProtocolException)
            {
                await WriteSimpleAsync(stream, 400, "Bad Request", keepAlive: false, head: false);
                return;
            }
            if (head is null) return;
            Requests++;
            var parts = head.StartLine.Split(' ');
            if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
            {
                await WriteSimpleAsync(stream, 400, "Bad Request", keepAlive: false, head: false);
                return;
            }
            bool http10 = parts[2] == "HTTP/1.0";
            bool keepAlive = http10 ? head.HasConnectionToken("keep-alive") : !head.HasConnectionToken("close");
            // A request body is read and ignored, so the next request on the connection starts in the right place.
            if (head.IsChunked) await reader.ReadChunkedAsync(static _ => { });
            else if (head.ContentLength is { } length) await reader.ReadBodyAsync(length, static _ => { });

            string method = parts[0];
            if (method is not ("GET" or "HEAD"))
            {
                await WriteSimpleAsync(stream, 405, "Method Not Allowed", keepAlive, head: false, "Allow: GET, HEAD\r\n");
                if (!keepAlive) return;
                continue;
            }
            await RespondAsync(stream, parts[1], keepAlive, method == "HEAD");
            if (!keepAlive) return;
        }
    }

    private async Task RespondAsync(Stream stream, string target, bool keepAlive, bool headOnly)
    {
        var path = Uri.UnescapeDataString(target.Split('?', 2)[0]);
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
        var file = Resolve(path);
        if (file is null)
        {
            await WriteSimpleAsync(stream, 404, "Not Found", keepAlive, headOnly);
            return;
        }
        using var content = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        await WriteHeadAsync(stream, 200, "OK", content.Length, ContentType(file), keepAlive);
        if (headOnly) return;
        var chunk = new byte[FileChunk];
        int n;
        while ((n = content.Read(chunk)) > 0)
            await stream.WriteAsync(chunk.AsMemory(0, n));
    }

    /// <summary>The file a URL path names, never outside the root; a directory means its index.html.</summary>
    private string? Resolve(string urlPath)
    {
        var candidate = Path.GetFullPath(Path.Combine(_root!, urlPath.TrimStart('/')));
        if (candidate != _root && !candidate.StartsWith(_root!.TrimEnd('/') + "/", StringComparison.Ordinal)) return null;
        if (Directory.Exists(candidate)) candidate = Path.Combine(candidate, "index.html");
        return File.Exists(candidate) ? candidate : null;
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
