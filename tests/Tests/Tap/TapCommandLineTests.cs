using Netstack.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Netstack.Tests.Tap;

/// <summary>`harness tap` rejects bad options with one line and exit code 2, before touching any device
/// (every case here fails validation, so nothing is opened in the test's own namespace).</summary>
[TestFixture, Category("Tap")]
public class TapCommandLineTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [TestCase("--ip 1.2.3.4", "--ip 1.2.3.4: expected an IPv4 address with prefix length")]
    [TestCase("--ip 10.0.0.2/24 --mac zz", "--mac zz: expected six hex bytes")]
    [TestCase("--ip 10.0.0.2/24 --mac 01:00:5e:00:00:01", "must be a unicast address")]
    [TestCase("--ip 10.0.0.2/24 --gateway 10.1.0.1", "--gateway 10.1.0.1: not on the directly connected network 10.0.0.0/24")]
    [TestCase("--ip 10.0.0.2/24 --serve smtp:25", "--serve smtp:25: unknown service 'smtp'")]
    [TestCase("--ip 10.0.0.2/24 --serve echo:0", "expected echo:PORT with PORT in 1-65535")]
    [TestCase("--ip 10.0.0.2/24 --serve echo:7:x", "only http takes a third part")]
    [TestCase("--ip 10.0.0.2/24 --serve http:80:/no/such/dir", "directory '/no/such/dir' does not exist")]
    [TestCase("--ip 10.0.0.2/24 --duration -1", "--duration -1: expected a positive number of seconds")]
    [TestCase("--ip 10.0.0.2/24 --mtu 100", "--mtu 100: expected 576-65521")]
    [TestCase("--ip 10.0.0.2/24 --serve echo:7 --serve discard:7", "--serve: port 7 is given more than once")]
    [TestCase("--ip 10.0.0.2/24 --serve sink:9 --serve discard:9", "--serve: port 9 is given more than once")]
    [TestCase("--ip 10.0.0.2/24 --serve sink:9:x", "only http takes a third part")]
    [TestCase("--ip 10.0.0.2/24 --fetch ftp://10.0.0.1/x", "--fetch ftp://10.0.0.1/x: expected http://IPV4[:PORT]/PATH")]
    [TestCase("--ip 10.0.0.2/24 --fetch http://example.com/", "the host must be an IPv4 address")]
    [TestCase("--ip 10.0.0.2/24 --send 10.0.0.1:9", "--send 10.0.0.1:9: expected IPV4:PORT:FILE")]
    [TestCase("--ip 10.0.0.2/24 --send 10.0.0.1:9:/no/such/file", "file '/no/such/file' does not exist")]
    [TestCase("--ip 10.0.0.2/24 --ip6 2001:db8::2", "--ip6 2001:db8::2: expected an IPv6 address with prefix length, e.g. 2001:db8::2/64, or 'auto'")]
    [TestCase("--ip 10.0.0.2/24 --ip6 2001:db8::2/129", "--ip6 2001:db8::2/129: expected an IPv6 address with prefix length")]
    [TestCase("--ip 10.0.0.2/24 --ip6 10.0.0.2/24", "--ip6 10.0.0.2/24: expected an IPv6 address with prefix length")]
    [TestCase("--ip 10.0.0.2/24 --ip6 ff02::1/64", "--ip6 ff02::1/64: must be a unicast address")]
    [TestCase("--ip 10.0.0.2/24 --ip6 ::/64", "--ip6 ::/64: must be a unicast address")]
    [TestCase("--ip 10.0.0.2/24 --ip6 fe80::2/64", "--ip6 fe80::2/64: the link-local address is formed from the MAC")]
    [TestCase("--ip 10.0.0.2/24 --fetch http://[2001:db8::1]/", "--fetch/--send to an IPv6 address: turn IPv6 on with --ip6")]
    [TestCase("--ip 10.0.0.2/24 --ip6 auto --send [2001:db8::1]:9", "--send [2001:db8::1]:9: expected IPV4:PORT:FILE or [IPV6]:PORT:FILE")]
    [TestCase("--ip 10.0.0.2/24 --ip6 auto --send [2001:db8::1:9:/etc/hostname", "expected IPV4:PORT:FILE or [IPV6]:PORT:FILE")]
    public void Bad_options_give_one_line_and_exit_2(string options, string message)
    {
        var (exit, stdout, stderr) = Run(["tap", "--dev", "tapnever0", .. options.Split(' ')]);
        exit.Should().Be(2, stderr);
        stdout.Should().BeEmpty();
        stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain(message);
    }

    [Test]
    public void Missing_required_options_are_usage_errors()
    {
        var (exit, _, stderr) = Run("tap", "--ip", "10.0.0.2/24");
        exit.Should().Be(2);
        stderr.Should().Contain("--dev");
    }

    [Test]
    public void Fetch_and_send_take_ipv6_literals_in_brackets()
    {
        var fetch = Netstack.Cli.Live.HttpFetch.Parse("http://[2001:db8::1]:8080/a");
        (fetch.Host.IsIpv4, fetch.Host.ToString(), fetch.Port, fetch.Authority).Should().Be((false, "2001:db8::1", (ushort)8080, "[2001:db8::1]:8080"));
        var file = Path.GetTempFileName();
        try
        {
            var send = Netstack.Cli.Live.SendSpec.Parse($"[2001:db8::1]:9000:{file}");
            (send.Host.ToString(), send.Port, send.File, send.Authority).Should().Be(("2001:db8::1", (ushort)9000, file, "[2001:db8::1]:9000"));
            Netstack.Cli.Live.SendSpec.Parse($"10.0.0.1:9:{file}").Authority.Should().Be("10.0.0.1:9");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
