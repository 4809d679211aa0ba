using Netstack.Api;

namespace Netstack.Cli.Live;

/// <summary>The TCP side of `--serve`: accepts connections on a port and runs echo, discard, sink or HTTP on
/// each, concurrently, on the event loop, each connection under the service's <see cref="ConnectionLimits"/>.</summary>
public sealed class TcpServices(NetworkStack stack, TextWriter output, TextWriter log, ConnectionLimits? limits = null)
{
    private readonly ConnectionLimits _limits = limits ?? ConnectionLimits.Default;

    private const int Backlog = 64;

    /// <summary>Accepts until the listener is closed; each connection is handled on its own.</summary>
    public async Task ServeAsync(ServeSpec spec)
    {
        using var listener = stack.ListenTcp(spec.Port, Backlog);
        var http = spec.Kind == ServiceKind.Http ? new HttpServer(spec.Argument) : null;
        var table = new ConnectionTable(_limits.MaxConnections);
        while (true)
        {
            var tcp = await listener.AcceptAsync();
            var stream = new GuardedStream(tcp, stack.Scheduler, _limits, tcp.Abort);
            table.Add(stream);
            _ = HandleAsync(spec, tcp, stream, http, table);
        }
    }

    private async Task HandleAsync(ServeSpec spec, TcpStream tcp, GuardedStream stream, HttpServer? http,
        ConnectionTable table)
    {
        var peer = tcp.RemoteEndPoint;
        try
        {
            switch (spec.Kind)
            {
                case ServiceKind.Echo:
                    await StreamServices.EchoAsync(stream);
                    break;
                case ServiceKind.Discard:
                    var (bytes, sha) = await StreamServices.DiscardAsync(tcp, stream.NoteActivity);
                    output.WriteLine($"discard {peer} {bytes} bytes sha256 {sha}");
                    output.Flush();
                    break;
                case ServiceKind.Sink:
                    long received = await StreamServices.SinkAsync(tcp, stream.NoteActivity);
                    output.WriteLine($"sink {peer} {received} bytes");
                    output.Flush();
                    break;
                case ServiceKind.Http:
                    await http!.ServeAsync(stream, stream);
                    break;
            }
        }
        catch (Exception e)
        {
            // One connection's failure (reset, protocol error, a bug) is reported and ends only that connection.
            log.WriteLine($"{spec} {peer}: {stream.ExpiredBecause ?? e.Message}");
        }
        finally
        {
            table.Remove(stream);
            await stream.DisposeAsync();
            await tcp.DisposeAsync();
        }
    }
}
