using System.Security.Cryptography;
using System.Text;
using Netstack.Wire;

namespace Netstack.Cli.Live;

/// <summary>`--fetch URL`: one HTTP/1.1 GET through our stack. Hosts are IPv4 literals or IPv6 literals in brackets
/// (there is no DNS).</summary>
public sealed record HttpFetch(IpAddress Host, ushort Port, string Target, string Authority)
{
    public static HttpFetch Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "http")
            throw new UsageException($"--fetch {url}: expected http://IPV4[:PORT]/PATH or http://[IPV6][:PORT]/PATH");
        IpAddress host;
        if (Ipv4Address.TryParse(uri.Host, out var v4)) host = v4;
        else if (uri.HostNameType == UriHostNameType.IPv6 && Ipv6Address.TryParse(uri.Host.Trim('[', ']'), out var v6)) host = v6;
        else throw new UsageException($"--fetch {url}: the host must be an IPv4 address or an IPv6 address in brackets (no DNS here)");
        return new HttpFetch(host, (ushort)uri.Port, uri.PathAndQuery, uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}");
    }

    /// <summary>Where to connect.</summary>
    public System.Net.IPEndPoint EndPoint => new(Host.ToSystem(), Port);

    public sealed record Result(int Status, long Bytes, string Sha256)
    {
        public override string ToString() => $"fetch {Status} {Bytes} bytes sha256 {Sha256}";
    }

    /// <summary>Sends the request on a connected stream and reads the whole response.</summary>
    public async Task<Result> RunAsync(Stream stream)
    {
        var request = $"GET {Target} HTTP/1.1\r\nHost: {Authority}\r\nUser-Agent: netstack-harness\r\n" +
                      "Accept: */*\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var reader = new HttpReader(stream);
        var head = await reader.ReadHeadAsync() ?? throw new HttpProtocolException("connection closed without a response");
        var parts = head.StartLine.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(parts[1], out int status))
            throw new HttpProtocolException($"bad status line '{head.StartLine}'");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long bytes = 0;
        void Sink(ReadOnlyMemory<byte> piece)
        {
            hash.AppendData(piece.Span);
            bytes += piece.Length;
        }
        if (head.IsChunked) await reader.ReadChunkedAsync(Sink);
        else if (head.ContentLength is { } length) await reader.ReadBodyAsync(length, Sink);
        else await reader.ReadToEndAsync(Sink);
        return new Result(status, bytes, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
