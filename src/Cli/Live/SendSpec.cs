using Netstack.Wire;

namespace Netstack.Cli.Live;

/// <summary>`--send HOST:PORT:FILE`: where to connect and what to send.</summary>
public sealed record SendSpec(Ipv4Address Host, ushort Port, string File)
{
    public static SendSpec Parse(string text)
    {
        var parts = text.Split(':', 3);
        if (parts.Length != 3 || !Ipv4Address.TryParse(parts[0], out var host) ||
            !ushort.TryParse(parts[1], out var port) || port == 0)
            throw new UsageException($"--send {text}: expected IPV4:PORT:FILE");
        if (!System.IO.File.Exists(parts[2]))
            throw new UsageException($"--send {text}: file '{parts[2]}' does not exist");
        return new SendSpec(host, port, parts[2]);
    }
}
