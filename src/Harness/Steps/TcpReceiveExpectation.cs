using Netstack.Harness.Running;

namespace Netstack.Harness.Steps;

/// <summary><c>expect: { tcp-receive: s, data: hello }</c>: the next bytes read from the connection are exactly
/// these (they may have arrived in several segments); they are consumed. <c>eof: true</c> expects the peer's
/// FIN after everything was read; <c>none: true</c> that nothing is waiting.</summary>
public sealed class TcpReceiveExpectation : StateExpectation
{
    public required string Connection { get; init; }
    public Payload? Data { get; init; }
    public bool Eof { get; init; }
    public bool None { get; init; }

    public override bool IsSettled(ScenarioRun run)
    {
        var e = run.Tcp(Connection);
        if (None) return Check(run) is null;
        if (Data is { } d && e.Received.Count >= d.Bytes.Length) return true;
        return e.Connection is { } c && (c.IsReceiveFinished || c.State == Netstack.Transport.Tcp.TcpState.Closed);
    }

    public override string? Check(ScenarioRun run)
    {
        var e = run.Tcp(Connection);
        if (e.Connection is not { } c) return $"{Connection} is not connected (accept pending)";
        if (None)
            return e.Received.Count == 0 ? null : $"{e.Received.Count} bytes are waiting: {Payload.Show(e.Received.ToArray())}";
        if (Data is { } d)
        {
            var got = e.Received.Take(d.Bytes.Length).ToArray();
            if (got.Length < d.Bytes.Length)
                return $"only {Payload.Show(got)} arrived, expected {d} (connection {c.State}{(c.Error != System.Net.Sockets.SocketError.Success ? ", " + c.Error : "")})";
            if (!got.AsSpan().SequenceEqual(d.Bytes)) return $"received {Payload.Show(got)}, expected {d}";
        }
        if (Eof)
        {
            int extra = e.Received.Count - (Data?.Bytes.Length ?? 0);
            if (extra > 0) return $"{extra} more bytes before the end of the stream";
            if (!c.IsReceiveFinished) return $"no end of stream (FIN) yet; connection is {c.State}";
        }
        return null;
    }

    public override void Consume(ScenarioRun run)
    {
        if (Data is { } d) run.Tcp(Connection).Received.RemoveRange(0, d.Bytes.Length);
    }

    public override string Describe() =>
        None ? $"no tcp data waiting on {Connection}" :
        $"tcp data on {Connection}" + (Data is { } d ? $": {d}" : "") + (Eof ? ", then end of stream" : "");
}
