using FluentAssertions;
using Netstack.Harness.Linux;
using Netstack.Harness.Packetdrill.Execution;
using Netstack.Harness.Running;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Tap;

/// <summary>Our .pkt scripts against the Linux kernel (<c>--wire tap</c>): the ones the kernel behaves as written
/// for pass, and one where it differs (its window scale) fails at that line, so the kernel really ran it.</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class RealWirePacketdrillTests
{
    [SetUp]
    public void RequireTap()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
    }

    /// <summary>Runs a copy of the shipped script with a 50 ms tolerance in its first line: on a loaded CI machine
    /// the loop thread can be descheduled for longer than packetdrill's 4 ms, which says nothing about the kernel.</summary>
    private static ScenarioResult RunOnKernel(string name)
    {
        var dir = RepositoryPaths.FreshOutputDirectory("pkt-tap-" + name);
        var file = Path.Combine(dir, name + ".pkt");
        File.WriteAllText(file, "--tolerance_usecs=50000\n" +
                                File.ReadAllText(Path.Combine(RepositoryPaths.Scenarios, "packetdrill", name + ".pkt")));
        return PacketdrillRunner.Run(LoadedScript.Load(file), new RunOptions { OutputDirectory = dir, Wire = ScenarioWire.Tap });
    }

    [TestCase("close-passive")]
    [TestCase("close-simultaneous")]
    [TestCase("rst-states")]
    [TestCase("icmp-port-unreachable")]
    [TestCase("ipv6-packet-too-big")]
    public void The_kernel_passes_the_scripts_it_behaves_as_written_for(string name)
    {
        var result = RunOnKernel(name);
        Assert.That(result.Passed, Is.True, result.FailureMessage);
        Assert.That(result.Wire, Is.EqualTo(ScenarioWire.Tap));
    }

    /// <summary>What our stack refuses, the kernel runs: a Fast Open listener (TCP_FASTOPEN, data in the SYN
    /// accepted without a cookie), a per-socket SO_SNDBUF the kernel doubles, TCP_INFO fields our stack has not.</summary>
    [Test]
    public void Fast_open_socket_options_and_tcp_info_go_to_the_kernel()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("pkt-tap-kernel-only");
        var file = Path.Combine(dir, "fast-open-listener.pkt");
        File.WriteAllText(file, """
            --tolerance_usecs=50000
            `sysctl -q net.ipv4.tcp_fastopen=0x202`
               0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
              +0 setsockopt(3, SOL_SOCKET, SO_SNDBUF, [10000], 4) = 0
              +0 getsockopt(3, SOL_SOCKET, SO_SNDBUF, [20000], [4]) = 0
              +0 bind(3, ..., ...) = 0
              +0 listen(3, 1) = 0
              +0 setsockopt(3, SOL_TCP, TCP_FASTOPEN, [1], 4) = 0
              +0 < S 0:10(10) win 32792 <mss 1460,sackOK,nop,nop>
              +0 > S. 0:0(0) ack 11 <mss 1460,nop,nop,sackOK>
              +0 accept(3, ..., ...) = 4
              +0 read(4, ..., 100) = 10
              +0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_SYN_RECV, tcpi_snd_mss=1460}, [512]) = 0
             +.1 < . 11:11(0) ack 1 win 32792
              +0 close(4) = 0
              +0 > F. 1:1(0) ack 11
            """);
        LoadedScript.Load(file).Errors.Should().Contain(e => e.Contains("TCP_FASTOPEN is not modelled"), "our stack has no Fast Open");
        var result = PacketdrillRunner.Run(LoadedScript.Load(file, onKernel: true), new RunOptions { OutputDirectory = dir, Wire = ScenarioWire.Tap });
        Assert.That(result.Passed, Is.True, result.FailureMessage);
    }

    /// <summary>IPv6 on the kernel (IPv6 on in the run's namespace, no duplicate address detection): its SYN-ACK to
    /// packetdrill's remote 2001:db8::1 offers an MSS of 1500 - 60, its data is sent in the peer's 1220-byte MSS
    /// (taken together if the kernel splits it otherwise), a RST at RCV.NXT resets the connection.</summary>
    [Test]
    public void The_kernel_runs_an_ipv6_script()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("pkt-tap-ipv6");
        var file = Path.Combine(dir, "ipv6-kernel.pkt");
        File.WriteAllText(file, """
            --ip_version=ipv6
            --tolerance_usecs=50000
               0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
              +0 bind(3, ..., ...) = 0
              +0 listen(3, 1) = 0
              +0 < S 0:0(0) win 32792 <mss 1220,sackOK,nop,nop,nop,wscale 7>
              +0 > S. 0:0(0) ack 1 <mss 1440,...>
             +.1 < . 1:1(0) ack 1 win 257
              +0 accept(3, ..., ...) = 4
              +0 write(4, ..., 2000) = 2000
              +0 > P. 1:2001(2000) ack 1
            +.05 < . 1:1(0) ack 2001 win 257
              +0 < R. 1:1(0) ack 2001 win 257
              +0 read(4, ..., 1000) = -1 ECONNRESET (Connection reset by peer)
            """);
        var result = PacketdrillRunner.Run(LoadedScript.Load(file), new RunOptions { OutputDirectory = dir, Wire = ScenarioWire.Tap });
        Assert.That(result.Passed, Is.True, result.FailureMessage);
        Assert.That(result.Recording.Frames.Where(f => f.Host == "local").Select(f => Netstack.Harness.Trace.TcpView.Read(f.Bytes))
            .OfType<Netstack.Harness.Trace.TcpView>().Select(t => t.Source.ToString()).Distinct(), Is.EqualTo(new[] { "fd3d:fa7b:d17d::1" }));
    }

    [Test]
    public void The_kernel_advertises_its_own_window_scale_and_the_script_says_where()
    {
        var result = RunOnKernel("handshake-passive");
        Assert.That(result.Passed, Is.False);
        Assert.That(result.FailureMessage, Does.Contain("handshake-passive.pkt:10:1:").And.Contain("wscale 3"));
    }
}
