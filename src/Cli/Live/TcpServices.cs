using Netstack.Api;

namespace Netstack.Cli.Live;

/// <summary>The TCP side of `--serve`: accepts connections on a port and runs echo, discard, sink or HTTP on
/// each, concurrently, on the event loop.</summary>
public sealed class TcpServices(NetworkStack stack, TextWriter output, TextWriter log)
{
    private const int Backlog = 64;

    /// <summary>Accepts until the listener is closed; each connection is handled on its own.</summary>
    public async Task ServeAsync(ServeSpec spec)
    {
        using var listener = stack.ListenTcp(spec.Port, Backlog);
        var http = spec.Kind == ServiceKind.Http ? new HttpServer(spec.Argument) : null;
        while (true)
        {
            var stream = await listener.AcceptAsync();
            _ = HandleAsync(spec, stream, http);
        }
    }

    private async Task HandleAsync(ServeSpec spec, TcpStream stream, HttpServer? http)
    {
        var peer = stream.RemoteEndPoint;
        try
        {
            switch (spec.Kind)
            {
                case ServiceKind.Echo:
                    await StreamServices.EchoAsync(stream);
                    break;
                case ServiceKind.Discard:
                    var (bytes, sha) = await StreamServices.DiscardAsync(stream);
                    output.WriteLine($"discard {peer} {bytes} bytes sha256 {sha}");
                    output.Flush();
                    break;
                case ServiceKind.Sink:
                    long received = await StreamServices.SinkAsync(stream);
                    output.WriteLine($"sink {peer} {received} bytes");
                    output.Flush();
                    break;
                case ServiceKind.Http:
                    await http!.ServeAsync(stream);
                    break;
            }
        }
        catch (Exception e)
        {
            // One connection's failure (reset, protocol error, a bug) is reported and ends only that connection.
            log.WriteLine($"{spec} {peer}: {e.Message}");
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }
}
