using Netstack.Wire;

namespace Netstack.Cli.Live;

/// <summary>`--send HOST:PORT:FILE`: where to connect and what to send; an IPv6 host is written in brackets,
/// [2001:db8::1]:PORT:FILE.</summary>
public sealed record SendSpec(IpAddress Host, ushort Port, string File)
{
    public static SendSpec Parse(string text)
    {
        IpAddress host = default;
        string rest = "";
        bool hostOk = false;
        int close = text.IndexOf(']');
        int colon = text.IndexOf(':');
        if (text.StartsWith('[') && close > 0 && close + 1 < text.Length && text[close + 1] == ':' &&
            Ipv6Address.TryParse(text[1..close], out var v6))
        {
            (host, rest, hostOk) = (v6, text[(close + 2)..], true);
        }
        else if (colon > 0 && Ipv4Address.TryParse(text[..colon], out var v4))
        {
            (host, rest, hostOk) = (v4, text[(colon + 1)..], true);
        }
        var parts = rest.Split(':', 2);
        if (!hostOk || parts.Length != 2 || !ushort.TryParse(parts[0], out var port) || port == 0)
            throw new UsageException($"--send {text}: expected IPV4:PORT:FILE or [IPV6]:PORT:FILE");
        if (!System.IO.File.Exists(parts[1]))
            throw new UsageException($"--send {text}: file '{parts[1]}' does not exist");
        return new SendSpec(host, port, parts[1]);
    }

    /// <summary>Where to connect.</summary>
    public System.Net.IPEndPoint EndPoint => new(Host.ToSystem(), Port);

    /// <summary>HOST:PORT as written, the IPv6 host in brackets.</summary>
    public string Authority => Host.IsIpv4 ? $"{Host}:{Port}" : $"[{Host}]:{Port}";
}
