using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using Netstack.Cli.Live;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Tap;

/// <summary>The live HTTP server and client over scripted byte streams (input arrives 7 bytes at a time,
/// so every head and body crosses read boundaries).</summary>
[TestFixture, Category("Tap")]
public class HttpServerTests
{
    private string _root = "";

    [SetUp]
    public void MakeSite()
    {
        _root = Path.Combine(Path.GetTempPath(), $"http-site-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(_root, "docs"));
        File.WriteAllText(Path.Combine(_root, "hello.txt"), "hello, world\n");
        File.WriteAllText(Path.Combine(_root, "docs", "index.html"), "<p>docs</p>");
    }

    [TearDown]
    public void RemoveSite() => Directory.Delete(_root, recursive: true);

    private static string Serve(string? root, string requests)
    {
        var stream = new ScriptedStream(Encoding.ASCII.GetBytes(requests));
        new HttpServer(root).ServeAsync(stream).GetAwaiter().GetResult();
        return Encoding.ASCII.GetString(stream.Written.ToArray());
    }

    [Test]
    public void Get_serves_a_file_with_its_length_and_keeps_the_connection()
    {
        var response = Serve(_root, "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        response.Should().StartWith("HTTP/1.1 200 OK\r\n");
        response.Should().Contain("Content-Length: 13\r\n").And.Contain("Connection: keep-alive\r\n");
        response.Should().EndWith("\r\n\r\nhello, world\n");
    }

    [Test]
    public void Head_sends_the_headers_of_get_without_a_body()
    {
        var response = Serve(_root, "HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        response.Should().Contain("Content-Length: 13\r\n").And.EndWith("\r\n\r\n");
    }

    [Test]
    public void Pipelined_requests_get_responses_in_order_and_close_ends_the_connection()
    {
        var response = Serve(_root,
            "GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\n" +
            "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" +
            "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        response.Split("HTTP/1.1 ").Length.Should().Be(3, "two responses, none for the request after close");
        response.IndexOf("<p>docs</p>", StringComparison.Ordinal).Should()
            .BeLessThan(response.IndexOf("hello, world", StringComparison.Ordinal));
        response.Should().Contain("Connection: close\r\n");
    }

    [Test]
    public void Http_1_0_closes_after_one_response_unless_asked_to_keep_alive()
    {
        Serve(_root, "GET /hello.txt HTTP/1.0\r\n\r\nGET /hello.txt HTTP/1.0\r\n\r\n")
            .Split("HTTP/1.1 200").Length.Should().Be(2);
        Serve(_root, "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /hello.txt HTTP/1.0\r\n\r\n")
            .Split("HTTP/1.1 200").Length.Should().Be(3);
    }

    [TestCase("/../../etc/passwd")]
    [TestCase("/%2e%2e/%2e%2e/etc/passwd")]
    [TestCase("/missing.txt")]
    public void Paths_outside_the_root_or_missing_are_not_found(string path)
    {
        Serve(_root, $"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").Should().StartWith("HTTP/1.1 404 Not Found\r\n");
    }

    [Test]
    public void Other_methods_are_refused_with_allow_and_their_body_skipped()
    {
        var response = Serve(_root, "POST /hello.txt HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde" +
                                    "GET /hello.txt HTTP/1.1\r\n\r\n");
        response.Should().StartWith("HTTP/1.1 405 Method Not Allowed\r\n").And.Contain("Allow: GET, HEAD\r\n");
        response.Should().EndWith("hello, world\n");
    }

    [Test]
    public void Without_a_directory_the_built_in_page_is_served()
    {
        var response = Serve(null, "GET / HTTP/1.1\r\n\r\n");
        response.Should().Contain($"Content-Length: {HttpServer.BuiltInPage.Length}\r\n");
        response.Should().EndWith(Encoding.UTF8.GetString(HttpServer.BuiltInPage));
        Serve(null, "GET /other HTTP/1.1\r\n\r\n").Should().StartWith("HTTP/1.1 404");
    }

    [Test]
    public void Garbage_gets_400_and_the_connection_ends()
    {
        Serve(_root, "NONSENSE\r\n\r\nGET / HTTP/1.1\r\n\r\n").Should().StartWith("HTTP/1.1 400 Bad Request\r\n")
            .And.NotContain("200 OK");
    }

    [TestCase("GET /hello%00.txt HTTP/1.1\r\n\r\n", TestName = "A NUL in the path gets 400")]
    [TestCase("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", TestName = "Content-Length -1 gets 400")]
    [TestCase("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nabcde", TestName = "Content-Length with a sign gets 400")]
    [TestCase("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", TestName = "Chunk size ffffffffffffffff gets 400")]
    [TestCase("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n", TestName = "Negative chunk size gets 400")]
    [TestCase("GET / HTTP/1.x\r\n\r\n", TestName = "A malformed version gets 400")]
    public void Bad_requests_get_400_and_the_connection_ends(string request)
    {
        Serve(_root, request + "GET /hello.txt HTTP/1.1\r\n\r\n").Should()
            .StartWith("HTTP/1.1 400 Bad Request\r\n").And.Contain("Connection: close\r\n").And.NotContain("200 OK");
    }

    [TestCase("HTTP/1.7")]
    [TestCase("HTTP/2.0")]
    [TestCase("HTTP/0.9")]
    public void Versions_other_than_1_0_and_1_1_get_505(string version)
    {
        Serve(_root, $"GET /hello.txt {version}\r\n\r\nGET /hello.txt HTTP/1.1\r\n\r\n").Should()
            .StartWith("HTTP/1.1 505 HTTP Version Not Supported\r\n").And.NotContain("200 OK");
    }

    [TestCase(7)]
    [TestCase(64 * 1024)]
    public void A_head_over_16_KiB_gets_400_however_it_is_read(int readSize)
    {
        var request = "GET /hello.txt HTTP/1.1\r\nX-Pad: " + new string('a', 17 * 1024) + "\r\n\r\n";
        var stream = new ScriptedStream(Encoding.ASCII.GetBytes(request), readSize);
        new HttpServer(_root).ServeAsync(stream).GetAwaiter().GetResult();
        Encoding.ASCII.GetString(stream.Written.ToArray()).Should().StartWith("HTTP/1.1 400 Bad Request\r\n");
    }

    [Test]
    public void A_head_just_under_16_KiB_in_one_read_is_served()
    {
        var start = "GET /hello.txt HTTP/1.1\r\nX-Pad: ";
        var request = start + new string('a', 16 * 1024 - start.Length - 4) + "\r\n\r\n";
        var stream = new ScriptedStream(Encoding.ASCII.GetBytes(request), 64 * 1024);
        new HttpServer(_root).ServeAsync(stream).GetAwaiter().GetResult();
        Encoding.ASCII.GetString(stream.Written.ToArray()).Should().StartWith("HTTP/1.1 200 OK\r\n");
    }

    [Test]
    public void Symlinks_out_of_the_root_are_not_followed_but_links_inside_are()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "etclink"), "/etc");
        File.CreateSymbolicLink(Path.Combine(_root, "passwd"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(_root, "alias.txt"), Path.Combine(_root, "hello.txt"));
        Serve(_root, "GET /etclink/passwd HTTP/1.1\r\n\r\n").Should().StartWith("HTTP/1.1 404 Not Found\r\n");
        Serve(_root, "GET /passwd HTTP/1.1\r\n\r\n").Should().StartWith("HTTP/1.1 404 Not Found\r\n");
        Serve(_root, "GET /alias.txt HTTP/1.1\r\n\r\n").Should().EndWith("\r\n\r\nhello, world\n");
    }

    [Test]
    public void A_root_reached_through_a_symlink_still_serves_its_files()
    {
        var link = _root + "-link";
        Directory.CreateSymbolicLink(link, _root);
        try
        {
            Serve(link, "GET /hello.txt HTTP/1.1\r\n\r\n").Should().EndWith("\r\n\r\nhello, world\n");
        }
        finally
        {
            File.Delete(link);
        }
    }

    [TestCase("/dev/zero")]
    [TestCase("/dev/null")]
    [TestCase("/proc/self/status")]
    public void Devices_and_proc_files_linked_into_the_root_are_not_found(string target)
    {
        File.CreateSymbolicLink(Path.Combine(_root, "special"), target);
        Serve(_root, "GET /special HTTP/1.1\r\n\r\n").Should().StartWith("HTTP/1.1 404 Not Found\r\n");
    }

    [Test]
    public void A_fifo_in_the_root_is_not_found_and_not_waited_for()
    {
        var fifo = Path.Combine(_root, "fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        File.Exists(fifo).Should().BeTrue("mkfifo made the pipe");
        var serving = Task.Run(() => Serve(_root, "GET /fifo HTTP/1.1\r\n\r\n"));
        serving.Wait(TimeSpan.FromSeconds(10)).Should().BeTrue("nobody writes to the pipe, so opening it must not wait");
        serving.Result.Should().StartWith("HTTP/1.1 404 Not Found\r\n");
    }

    [Test]
    public void Fetch_sends_a_get_and_hashes_a_chunked_body()
    {
        var stream = new ScriptedStream(Encoding.ASCII.GetBytes(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n"));
        var fetch = HttpFetch.Parse("http://10.0.0.1:8080/a/b?c=d");
        var result = fetch.RunAsync(stream).GetAwaiter().GetResult();
        result.Status.Should().Be(200);
        result.Bytes.Should().Be(12);
        result.Sha256.Should().Be(Convert.ToHexStringLower(SHA256.HashData("hello, world"u8)));
        Encoding.ASCII.GetString(stream.Written.ToArray()).Should()
            .StartWith("GET /a/b?c=d HTTP/1.1\r\nHost: 10.0.0.1:8080\r\n").And.Contain("Connection: close\r\n");
    }

    [Test]
    public void Fetch_reads_to_the_end_when_there_is_no_length()
    {
        var stream = new ScriptedStream(Encoding.ASCII.GetBytes("HTTP/1.0 404 Not Found\r\n\r\nnope"));
        var result = HttpFetch.Parse("http://10.0.0.1/").RunAsync(stream).GetAwaiter().GetResult();
        (result.Status, result.Bytes).Should().Be((404, 4L));
    }
}
