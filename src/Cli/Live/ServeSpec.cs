namespace Netstack.Cli.Live;

public enum ServiceKind
{
    Echo,
    Discard,
    /// <summary>Discard without the SHA-256: reads and drops, reports only the byte count (throughput runs).</summary>
    Sink,
    Http,
}

/// <summary>One `--serve KIND:PORT[:ARG]` option: which service, on which port.</summary>
public sealed record ServeSpec(ServiceKind Kind, ushort Port, string? Argument)
{
    public static ServeSpec Parse(string text)
    {
        var parts = text.Split(':', 3);
        var kind = parts[0] switch
        {
            "echo" => ServiceKind.Echo,
            "discard" => ServiceKind.Discard,
            "sink" => ServiceKind.Sink,
            "http" => ServiceKind.Http,
            _ => throw new UsageException($"--serve {text}: unknown service '{parts[0]}' (echo, discard, sink, http)"),
        };
        if (parts.Length < 2 || !ushort.TryParse(parts[1], out var port) || port == 0)
            throw new UsageException($"--serve {text}: expected {parts[0]}:PORT with PORT in 1-65535");
        if (parts.Length == 3 && kind != ServiceKind.Http)
            throw new UsageException($"--serve {text}: only http takes a third part (http:PORT:DIR)");
        string? argument = parts.Length == 3 ? parts[2] : null;
        if (argument is not null && !Directory.Exists(argument))
            throw new UsageException($"--serve {text}: directory '{argument}' does not exist");
        return new ServeSpec(kind, port, argument);
    }

    public override string ToString() =>
        $"{Kind.ToString().ToLowerInvariant()}:{Port}{(Argument is null ? "" : ":" + Argument)}";
}
