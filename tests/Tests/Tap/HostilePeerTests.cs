using System.Net;
using System.Net.Sockets;
using System.Text;
using FluentAssertions;
using Netstack.Harness.Linux;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Tap;

/// <summary>Issue 18's hostile peer against `harness tap`, from the kernel's side of a tap in a namespace of
/// its own: files in the served directory that must not be served (links out of it, a FIFO, devices, /proc),
/// slowloris heads, readers that never read, silent echo clients, and more of them than the cap. After each
/// the process is alive, answers ping, and curl still gets the page.</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class HostilePeerTests : LiveHarnessFixture
{
    private const string KernelIp = "10.76.0.1";
    private const string OurIp = "10.76.0.2";
    private const int HeaderTimeoutSeconds = 4;
    private const int IdleTimeoutSeconds = 4;
    private const int MaxConnections = 16;
    private static readonly Duration Startup = Duration.FromSeconds(30);
    private const string Page = "<p>hostile peer test site</p>\n";

    [OneTimeSetUp]
    public void StartHarness()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
        RequiredTools.Require("curl", "ss", "ping", "mkfifo");
        WorkDir = Path.Combine(Path.GetTempPath(), $"tap-hostile-{Environment.ProcessId}");
        if (Directory.Exists(WorkDir)) Directory.Delete(WorkDir, true);
        var site = Directory.CreateDirectory(Path.Combine(WorkDir, "site")).FullName;
        File.WriteAllText(Path.Combine(site, "index.html"), Page);
        File.WriteAllBytes(Path.Combine(site, "big.bin"), new byte[8 * 1024 * 1024]);
        File.CreateSymbolicLink(Path.Combine(site, "etclink"), "/etc");
        File.CreateSymbolicLink(Path.Combine(site, "zero"), "/dev/zero");
        File.CreateSymbolicLink(Path.Combine(site, "status"), "/proc/self/status");
        CommandRunner.Run("mkfifo", Path.Combine(site, "fifo")).ExitCode.Should().Be(0);

        Ns = NetworkNamespace.Create("nshostile");
        Ns.AddTap("tap0", $"{KernelIp}/24");
        Live = HarnessProcess.Start(Ns, "tap", "--dev", "tap0", "--ip", $"{OurIp}/24", "--serve", $"http:80:{site}",
            "--serve", "echo:7", "--header-timeout", $"{HeaderTimeoutSeconds}", "--idle-timeout", $"{IdleTimeoutSeconds}",
            "--max-connections", $"{MaxConnections}", "--duration", "300");
        Live.WaitForReady(Startup).Should().StartWith($"ready tap0 {OurIp} ");
    }

    private (string Status, string Body) Curl(string path, int maxSeconds = 5)
    {
        var r = Ns!.Run(Duration.FromSeconds(maxSeconds + 5), "curl", "-s", "--max-time", $"{maxSeconds}",
            "-w", "\n%{http_code}", $"http://{OurIp}{path}");
        int cut = r.Output.LastIndexOf('\n');
        return cut < 0 ? (r.Output, "") : (r.Output[(cut + 1)..], r.Output[..cut]);
    }

    /// <summary>The process lives, answers ping, and serves the page to a fresh client.</summary>
    private void StillServes()
    {
        Live!.HasExited.Should().BeFalse(Live.Error);
        var ping = Ns!.Run("ping", "-c", "1", "-W", "2", OurIp);
        ping.ExitCode.Should().Be(0, ping.ToString());
        Curl("/").Should().Be(("200", Page), Live.Error);
    }

    private int EstablishedTo(int port) =>
        Ns!.Run("ss", "-Htn", "state", "established", $"( dport = :{port} )").Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    private Socket Connect(int port) => Ns!.RunInside(() =>
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        s.Connect(IPAddress.Parse(OurIp), port);
        return s;
    });

    [TestCase("/etclink/passwd", TestName = "A symlink out of the served directory is 404")]
    [TestCase("/zero", TestName = "A link to /dev/zero is 404, not an endless body")]
    [TestCase("/status", TestName = "A link to a /proc file is 404")]
    [TestCase("/fifo", TestName = "A FIFO is 404 at once and the loop does not wait on it")]
    public void Files_that_are_not_regular_files_inside_the_root_are_not_found(string path)
    {
        var (status, body) = Curl(path);
        status.Should().Be("404", body);
        body.Should().NotContain("root:");
        StillServes();
    }

    [Test]
    public void Slowloris_heads_are_cut_at_the_header_timeout_and_a_fresh_client_is_served_meanwhile()
    {
        var slow = Enumerable.Range(0, MaxConnections).Select(_ => Connect(80)).ToList();
        try
        {
            foreach (var s in slow) s.Send(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nX-a: "));
            WaitUntil(() => EstablishedTo(80) >= MaxConnections, Duration.FromSeconds(5)).Should().BeTrue();
            // The cap's worth of slow heads hang on, and a fresh client is still served.
            StillServes();
            // Trickling bytes does not extend the header timeout. (The fresh client took the least recently active
            // slow one's place: that one is reset already.)
            int trickling = 0;
            foreach (var s in slow)
            {
                try
                {
                    s.Send("b"u8.ToArray());
                    trickling++;
                }
                catch (SocketException)
                {
                }
            }
            trickling.Should().BeGreaterThanOrEqualTo(MaxConnections - 2);
            WaitUntil(() => EstablishedTo(80) == 0, Duration.FromSeconds(HeaderTimeoutSeconds + 5)).Should()
                .BeTrue($"every slow head is reset after {HeaderTimeoutSeconds} s; {EstablishedTo(80)} remain\n{Live!.Error}");
            Live!.Error.Should().Contain("no complete request head within 4 s");
        }
        finally
        {
            foreach (var s in slow) s.Dispose();
        }
        StillServes();
    }

    [Test]
    public void More_clients_than_the_cap_evict_the_least_recently_active()
    {
        var slow = Enumerable.Range(0, MaxConnections * 2).Select(_ => Connect(80)).ToList();
        try
        {
            Thread.Sleep(500);
            EstablishedTo(80).Should().BeLessThanOrEqualTo(MaxConnections, "the server resets the oldest over the cap");
            StillServes();
        }
        finally
        {
            foreach (var s in slow) s.Dispose();
        }
    }

    [Test]
    public void Readers_that_never_read_are_cut_at_the_idle_timeout()
    {
        var slow = Enumerable.Range(0, 8).Select(_ => Connect(80)).ToList();
        try
        {
            foreach (var s in slow) s.Send(Encoding.ASCII.GetBytes("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"));
            StillServes();
            WaitUntil(() => EstablishedTo(80) == 0, Duration.FromSeconds(IdleTimeoutSeconds + 6)).Should()
                .BeTrue($"a reader that stalls our 8 MB response is reset after {IdleTimeoutSeconds} s idle; {EstablishedTo(80)} remain");
        }
        finally
        {
            foreach (var s in slow) s.Dispose();
        }
        StillServes();
    }

    [Test]
    public void Silent_echo_clients_are_cut_at_the_idle_timeout()
    {
        var silent = Enumerable.Range(0, 8).Select(_ => Connect(7)).ToList();
        try
        {
            using var talker = Connect(7);
            talker.Send("ping"u8.ToArray());
            var buffer = new byte[16];
            talker.ReceiveTimeout = 5000;
            talker.Receive(buffer).Should().Be(4, "a fresh echo client is served while the silent ones hold on");
            WaitUntil(() => EstablishedTo(7) == 0, Duration.FromSeconds(IdleTimeoutSeconds + 6)).Should()
                .BeTrue($"silent clients are reset after {IdleTimeoutSeconds} s idle; {EstablishedTo(7)} remain");
        }
        finally
        {
            foreach (var s in silent) s.Dispose();
        }
        StillServes();
    }
}
