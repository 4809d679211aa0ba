using Netstack.Harness.Packetdrill;
using Netstack.Harness.Packetdrill.Execution;
using Netstack.Harness.Running;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Packetdrill;

/// <summary>Running .pkt scripts on our stack on the virtual wire: each shipped script under scenarios/packetdrill
/// is a case, and small inline scripts show that a wrong, late, missing or unexpected segment fails at its line.</summary>
public class PacketdrillRunTests
{
    public static IEnumerable<TestCaseData> Shipped() =>
        Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Scenarios, "packetdrill"), "*.pkt")
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => new TestCaseData(f).SetName("pkt " + Path.GetFileNameWithoutExtension(f)));

    [TestCaseSource(nameof(Shipped))]
    public void Shipped_script_passes_on_our_stack(string file)
    {
        var script = LoadedScript.Load(file);
        Assert.That(script.Errors, Is.Empty);
        var dir = RepositoryPaths.FreshOutputDirectory("pkt-" + script.Name);
        var result = PacketdrillRunner.Run(script, new RunOptions { OutputDirectory = dir });
        Assert.That(result.Passed, Is.True, result.FailureMessage);
        Assert.That(result.SkippedAssertions, Is.Empty);
        if (TsharkValidator.IsInstalled)
        {
            var verdict = TsharkValidator.Validate(result.CapturePath!);
            Assert.That(verdict.Problems, Is.Empty, verdict.ExpertOutput);
        }
    }

    [TestCaseSource(nameof(Shipped))]
    public void Shipped_script_replays_byte_identically(string file)
    {
        var script = LoadedScript.Load(file);
        var a = PacketdrillRunner.Run(script, new RunOptions { OutputDirectory = null });
        var b = PacketdrillRunner.Run(script, new RunOptions { OutputDirectory = null });
        Assert.That(b.Recording.Frames.Select(f => Convert.ToHexString(f.Bytes)),
            Is.EqualTo(a.Recording.Frames.Select(f => Convert.ToHexString(f.Bytes))));
    }

    private const string Handshake = """
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 bind(3, ..., ...) = 0
        +0 listen(3, 1) = 0
        +0 < S 0:0(0) win 8192 <mss 1460>
        +0 > S. 0:0(0) ack 1 <mss 1460>
        +.01 < . 1:1(0) ack 1 win 8192
        +0 accept(3, ..., ...) = 4

        """;

    /// <summary>Runs a script given as text on our stack (also used by the other packetdrill test classes).</summary>
    internal static ScenarioResult RunText(string text)
    {
        var file = Path.Combine(RepositoryPaths.FreshOutputDirectory("pkt-inline"), "t.pkt");
        File.WriteAllText(file, text);
        var script = LoadedScript.Load(file);
        Assert.That(script.Errors, Is.Empty);
        return PacketdrillRunner.Run(script, new RunOptions { OutputDirectory = null });
    }

    [Test]
    public void The_handshake_alone_passes()
    {
        var result = RunText(Handshake);
        Assert.That(result.Passed, Is.True, result.FailureMessage);
    }

    [Test]
    public void A_wrong_ack_fails_at_its_line_and_column()
    {
        var result = RunText(Handshake.Replace("> S. 0:0(0) ack 1", "> S. 0:0(0) ack 2"));
        Assert.That(result.Passed, Is.False);
        Assert.That(result.FailureMessage, Does.StartWith("t.pkt:5:1:").Or.Contain("/t.pkt:5:1:"));
        Assert.That(result.FailureMessage, Does.Contain("ack 1, expected 2"));
    }

    [Test]
    public void A_segment_outside_the_tolerance_is_a_timing_error()
    {
        // The FIN goes out at close(), 0.1 s after the handshake: the script says 0.2 s.
        var result = RunText(Handshake + "+.1 close(4) = 0\n+.1 > F. 1:1(0) ack 1\n");
        Assert.That(result.Passed, Is.False);
        Assert.That(result.FailureMessage, Does.Contain("t.pkt:9:1:"));
    }

    [Test]
    public void A_segment_within_the_tolerance_passes()
    {
        var result = RunText("--tolerance_usecs=200000\n" + Handshake + "+.1 close(4) = 0\n+.1 > F. 1:1(0) ack 1\n");
        Assert.That(result.Passed, Is.True, result.FailureMessage);
    }

    [Test]
    public void A_segment_left_at_the_end_is_listed_as_not_checked_as_packetdrill_does()
    {
        var result = RunText(Handshake + "+.1 close(4) = 0\n");
        Assert.That(result.Passed, Is.True, result.FailureMessage);
        Assert.That(result.SkippedAssertions, Has.Some.Contains("after the last line").And.Contains("F."));
    }

    [Test]
    public void A_missing_segment_fails()
    {
        var result = RunText(Handshake + "+.1 > P. 1:2(1) ack 1\n");
        Assert.That(result.Passed, Is.False);
        Assert.That(result.FailureMessage, Does.Contain("nothing was sent"));
    }

    [Test]
    public void A_wrong_errno_fails()
    {
        var result = RunText(Handshake + "+0 read(4, ..., 10) = -1 ECONNRESET\n");
        Assert.That(result.Passed, Is.False);
        Assert.That(result.FailureMessage, Does.Contain("read() returned -1 EAGAIN").Or.Contain("still blocked"));
    }

    [Test]
    public void Python_blocks_are_counted_as_skipped_assertions_not_passes()
    {
        var result = RunText(Handshake + "+0 %{ assert tcpi_snd_cwnd == 10 }%\n");
        Assert.That(result.Passed, Is.True, result.FailureMessage);
        Assert.That(result.SkippedAssertions, Has.Count.EqualTo(1));
        Assert.That(result.SkippedAssertions[0], Does.Contain("t.pkt:8:1").And.Contain("Python"));
    }

    [Test]
    public void Unsupported_syntax_is_a_located_load_error()
    {
        var file = Path.Combine(RepositoryPaths.FreshOutputDirectory("pkt-unsupported"), "u.pkt");
        File.WriteAllText(file, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 8192 <md5 abc>\n");
        var script = LoadedScript.Load(file);
        Assert.That(script.Analysis, Is.Null);
        Assert.That(script.Errors.Single(), Does.Contain("u.pkt:2:").And.Contain("MD5"));
    }

    [Test]
    public void The_run_command_refuses_an_unsupported_script_with_exit_2()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("pkt-cli");
        var file = Path.Combine(dir, "u.pkt");
        File.WriteAllText(file, "0 socket(..., SOCK_INET6, IPPROTO_TCP) = 3\n");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Netstack.Cli.Commands.RunCommand.Run([file], dir, stdout, stderr);
        Assert.That(code, Is.EqualTo(2), stderr.ToString());
        Assert.That(stderr.ToString(), Does.Contain("u.pkt:1:"));
    }

    [Test]
    public void Msg_peek_returns_waiting_data_without_taking_it()
    {
        var result = RunText(Handshake + """
            +0 < P. 1:11(10) ack 1 win 8192
            +0 recv(4, ..., 100, MSG_PEEK) = 10
            +0 recv(4, ..., 100, MSG_PEEK) = 10
            +0 read(4, ..., 100) = 10
            +0 recv(4, ..., 100, MSG_DONTWAIT) = -1 EAGAIN

            """);
        Assert.That(result.Passed, Is.True, result.FailureMessage);
    }

    [Test]
    public void Segments_add_up_to_a_longer_expected_one_as_packetdrill_aggregates_them()
    {
        // Our stack sends two 1000-byte segments for the 2000-byte write; the script writes them as one (TSO).
        var result = RunText(Handshake.Replace("<mss 1460>\n+0 > S.", "<mss 1000>\n+0 > S.") + """
            +0 write(4, ..., 2000) = 2000
            +0 > P. 1:2001(2000) ack 1
            +.01 < . 1:1(0) ack 2001 win 8192

            """);
        Assert.That(result.Passed, Is.True, result.FailureMessage);
    }

    [Test]
    public void With_strict_segments_they_are_not_aggregated()
    {
        var result = RunText("--strict_segments\n" + Handshake.Replace("<mss 1460>\n+0 > S.", "<mss 1000>\n+0 > S.") + """
            +0 write(4, ..., 2000) = 2000
            +0 > P. 1:2001(2000) ack 1

            """);
        Assert.That(result.Passed, Is.False);
        Assert.That(result.FailureMessage, Does.Contain("expected 1:2001(2000)"));
    }

    [Test]
    public void Socket_takes_the_fd_the_script_names()
    {
        var result = RunText(Handshake.Replace("= 3", "= 5").Replace("(3,", "(5,") + "+0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n");
        Assert.That(result.Passed, Is.True, result.FailureMessage);
    }

    [Test]
    public void Tcp_info_fields_our_stack_models_are_compared()
    {
        var result = RunText(Handshake + "+0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=1, tcpi_snd_mss=1460, tcpi_options=0, tcpi_snd_wscale=0}, [104]) = 0\n");
        Assert.That(result.Passed, Is.True, result.FailureMessage);
        var wrong = RunText(Handshake + "+0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_snd_cwnd=1000}, [104]) = 0\n");
        Assert.That(wrong.Passed, Is.False);
        Assert.That(wrong.FailureMessage, Does.Contain("tcpi_snd_cwnd"));
    }
}
