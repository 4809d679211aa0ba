using System.Net;
using System.Net.Http;
using System.Text;
using FluentAssertions;
using Netstack.Api;
using Netstack.Link;
using Netstack.Drivers.Loops;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>The Stream is real: .NET's HttpClient, through SocketsHttpHandler.ConnectCallback, fetches
/// pages from an HTTP/1.1 server written over our TcpListenSocket on another simulated host.</summary>
public class HttpClientTests
{
    private static readonly Ipv4Address ServerIp = Ipv4Address.Parse("192.0.2.80");
    private static readonly Ipv4Address ClientIp = Ipv4Address.Parse("192.0.2.10");

    /// <summary>A minimal HTTP/1.1 server: keep-alive, GET only, Content-Length bodies.</summary>
    private static async Task ServeAsync(TcpListenSocket listener, Func<string, string> page, List<string> log)
    {
        while (true)
        {
            TcpStream stream;
            try
            {
                stream = await listener.AcceptAsync();
            }
            catch (Exception)
            {
                return;
            }
            _ = ServeConnectionAsync(stream, page, log);
        }
    }

    private static async Task ServeConnectionAsync(TcpStream stream, Func<string, string> page, List<string> log)
    {
        await using var _ = stream;
        var pending = new StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            int end;
            while ((end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
            {
                int n = await stream.ReadAsync(buffer);
                if (n == 0) return;
                pending.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            var head = pending.ToString(0, end);
            pending.Remove(0, end + 4);
            var requestLine = head.Split("\r\n")[0];
            log.Add(requestLine);
            var path = requestLine.Split(' ')[1];
            var body = Encoding.UTF8.GetBytes(page(path));
            var header = Encoding.ASCII.GetBytes(
                $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n");
            await stream.WriteAsync(header);
            await stream.WriteAsync(body);
        }
    }

    [Test]
    public void HttpClient_fetches_pages_over_the_simulated_stack()
    {
        var loop = new VirtualEventLoop();
        var driver = new CrossThreadDriver(loop);
        var lan = new VirtualSegment(loop, new SegmentOptions { Latency = Duration.FromMilliseconds(2) });
        var server = new NetworkStack(driver, new SeededRandom(1), name: "server");
        var client = new NetworkStack(driver, new SeededRandom(2), name: "client");
        server.AddInterface(lan.Connect("server"), MacAddress.Parse("02:00:00:00:00:80"), new Ipv4Cidr(ServerIp, 24));
        client.AddInterface(lan.Connect("client"), MacAddress.Parse("02:00:00:00:00:10"), new Ipv4Cidr(ClientIp, 24));

        var log = new List<string>();
        var bigPage = new string('x', 300_000);
        var listener = server.ListenTcp(80);
        loop.Post(() => _ = ServeAsync(listener, path => path == "/big" ? bigPage : $"hello from {path}", log));
        loop.RunUntil(loop.Now);

        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
                await client.ConnectTcpAsync(ServerIp, (ushort)context.DnsEndPoint.Port),
        };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var fetch = Task.Run(async () =>
        {
            var first = await http.GetStringAsync("http://192.0.2.80/index.html");
            var big = await http.GetStringAsync("http://192.0.2.80/big");
            var response = await http.GetAsync("http://192.0.2.80/third");
            return (first, big, response.StatusCode, await response.Content.ReadAsStringAsync());
        });
        driver.Drive(() => fetch.IsCompleted, Duration.FromMinutes(5), Duration.FromSeconds(20)).Should().BeTrue();
        fetch.Exception.Should().BeNull();
        var (first, big, status, third) = fetch.Result;
        first.Should().Be("hello from /index.html");
        big.Should().Be(bigPage);
        status.Should().Be(HttpStatusCode.OK);
        third.Should().Be("hello from /third");
        log.Should().Equal("GET /index.html HTTP/1.1", "GET /big HTTP/1.1", "GET /third HTTP/1.1");
        client.Tcp.Connections.Should().HaveCount(1, "HttpClient kept the one connection alive for all three");
    }
}
