using Netstack.Api;
using Netstack.Transport.Tcp;
using Netstack.Time;

namespace Netstack.Cli.Live;

/// <summary>The client side of `harness tap`: `--fetch` and `--send`, each over one TCP connection.
/// Each returns whether it succeeded, after printing its one-line result.</summary>
public sealed class TcpClients(NetworkStack stack, TextWriter output, TextWriter log)
{
    private static readonly Duration CloseGrace = Duration.FromSeconds(5);

    public async Task<bool> FetchAsync(HttpFetch fetch)
    {
        TcpStream? stream = null;
        try
        {
            stream = await stack.ConnectTcpAsync(fetch.EndPoint);
            var result = await fetch.RunAsync(stream);
            output.WriteLine(result);
            output.Flush();
            return result.Status is >= 200 and < 300;
        }
        catch (Exception e) when (e is IOException or HttpProtocolException or System.Net.Sockets.SocketException)
        {
            log.WriteLine($"harness: fetch http://{fetch.Authority}{fetch.Target}: {e.Message}");
            return false;
        }
        finally
        {
            if (stream is not null) await CloseAsync(stream);
        }
    }

    public async Task<bool> SendAsync(SendSpec send)
    {
        TcpStream? stream = null;
        try
        {
            stream = await stack.ConnectTcpAsync(send.EndPoint);
            var (bytes, sha) = await StreamServices.SendFileAsync(stream, send.File);
            stream.ShutdownSend();
            // The receiver closes after our FIN; whatever it says before that is not ours to judge.
            var sink = new byte[16 * 1024];
            while (await stream.ReadAsync(sink) > 0) { }
            if (stream.Connection.BytesUnacknowledgedOrUnsent > 0)
                throw new IOException($"{stream.Connection.BytesUnacknowledgedOrUnsent} bytes were never acknowledged");
            output.WriteLine($"send {bytes} bytes sha256 {sha}");
            output.Flush();
            return true;
        }
        catch (IOException e)
        {
            log.WriteLine($"harness: send to {send.Authority}: {e.Message}");
            return false;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            log.WriteLine($"harness: send to {send.Authority}: {e.Message}");
            return false;
        }
        finally
        {
            if (stream is not null) await CloseAsync(stream);
        }
    }

    /// <summary>Closes and gives the FIN exchange a moment on the loop, so the peer sees an orderly close
    /// rather than silence when the process exits right after.</summary>
    private async Task CloseAsync(TcpStream stream)
    {
        var connection = stream.Connection;
        await stream.DisposeAsync();
        var deadline = stack.Scheduler.Now + CloseGrace;
        while (connection.State is not (TcpState.Closed or TcpState.TimeWait) && stack.Scheduler.Now < deadline)
            await Delay(Duration.FromMilliseconds(10));
    }

    private Task Delay(Duration delay)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Netstack.Time.ScheduledTimer(stack.Scheduler, () => done.TrySetResult()).ArmAfter(delay);
        return done.Task;
    }
}
