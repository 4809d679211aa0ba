using Netstack.Harness.Running;

namespace Netstack.Harness.Steps;

/// <summary><c>expect: { tcp-receive: s, data: hello }</c>: the next bytes read from the connection are exactly
/// these (they may have arrived in several segments); they are consumed. <c>eof: true</c> expects the peer's
/// FIN after everything was read; <c>none: true</c> that nothing is waiting.</summary>
public sealed class TcpReceiveExpectation : StateExpectation
{
    public required string Connection { get; init; }
    public Payload? Data { get; init; }
    /// <summary>Lower-case hex SHA-256 the received bytes (as many as <see cref="Data"/>) must also have.</summary>
    public string? Sha256 { get; init; }
    public bool Eof { get; init; }
    public bool None { get; init; }

    public override bool IsSettled(ScenarioRun run)
    {
        var e = run.Tcp(Connection);
        if (None) return Check(run) is null;
        // With eof: true the end of the stream is part of what is awaited, not just the bytes before it.
        if (Data is { } d && e.Received.Count >= d.Bytes.Length && !Eof) return true;
        return e.IsReceiveFinished || e.IsClosed;
    }

    public override string? Check(ScenarioRun run)
    {
        var e = run.Tcp(Connection);
        if (!e.HasConnection) return $"{Connection} is not connected (accept pending)";
        if (None)
            return e.Received.Count == 0 ? null : $"{e.Received.Count} bytes are waiting: {Payload.Show(e.Received.ToArray())}";
        if (Data is { } d)
        {
            // Compared and hashed in place: a copy of a megabyte transfer per check was most of a scenario's allocation.
            ReadOnlySpan<byte> got = e.Received.Span[..Math.Min(e.Received.Count, d.Bytes.Length)];
            if (got.Length < d.Bytes.Length)
                return $"only {Payload.Show(got)} arrived, expected {d} (connection {e.Status})";
            bool same = got.SequenceEqual(d.Bytes);
            // Bytes equal to the expected ones hash as they do, computed once per expectation rather than per run.
            if (Sha256 is { } want && (same ? ExpectedHash(d) : Hash(got)) is var hash && hash != want)
                return $"received {got.Length} bytes with sha256 {hash}, expected {want}" + FirstDifference(got, d.Bytes);
            if (!same) return $"received {Payload.Show(got)}, expected {d}" + FirstDifference(got, d.Bytes);
        }
        if (Eof)
        {
            int extra = e.Received.Count - (Data?.Bytes.Length ?? 0);
            if (extra > 0) return $"{extra} more bytes before the end of the stream";
            if (!e.IsReceiveFinished) return $"no end of stream (FIN) yet; connection is {e.Status}";
        }
        return null;
    }

    private string? _expectedHash;

    private string ExpectedHash(Payload expected) => _expectedHash ??= Hash(expected.Bytes);

    private static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant();

    public static bool IsSha256(string text) => text.Length == 64 && text.All(char.IsAsciiHexDigit);

    private static string FirstDifference(ReadOnlySpan<byte> got, byte[] expected)
    {
        int i = got.CommonPrefixLength(expected);
        return i < got.Length ? $" (first difference at byte {i})" : "";
    }

    public override void Consume(ScenarioRun run)
    {
        if (Data is { } d) run.Tcp(Connection).Received.Consume(d.Bytes.Length);
    }

    public override string Describe() =>
        None ? $"no tcp data waiting on {Connection}" :
        $"tcp data on {Connection}" + (Data is { } d ? $": {d}" : "") + (Sha256 is { } h ? $" with sha256 {h[..12]}..." : "") + (Eof ? ", then end of stream" : "");
}
