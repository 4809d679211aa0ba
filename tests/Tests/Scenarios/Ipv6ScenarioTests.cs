using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>IPv6 in the scenario language, on the virtual wire: a scripted peer x with an <c>ip6</c> address injects
/// segments in notation on an IPv6 connection (and answers b's neighbour solicitation itself), and the IPv6
/// expectations fail with what the host really holds.</summary>
public class Ipv6ScenarioTests
{
    /// <summary>b (our stack, IPv6 from time 0: its address is tentative for the first second) and x (scripted).</summary>
    private static ScenarioResult Run(string name, string top, string steps) => YamlScenario.Run(name, $$"""
        wire: { latency: 1ms }
        hosts:
          b: { mac: 02:00:00:00:00:0b, ip: 192.0.2.11/24, ip6: 2001:db8::b/64, gratuitous-arp: false }
          x: { scripted: true, mac: 02:00:00:00:00:99, ip: 192.0.2.99/24, ip6: 2001:db8::99/64 }
        {{top}}steps:
        {{steps}}
        """);

    [Test]
    public void A_scripted_ipv6_peer_shakes_hands_in_notation_and_answers_neighbour_solicitations()
    {
        var result = Run("ip6-notation", "connection: [x/ip6:5555, b/ip6:80]\nstrict: [b]\n", """
              - tcp-listen: b:80
              - tcp-accept: { listener: b:80, as: s }
              - at: 2s
                inject: { from: x, tcp: "S 0:0(0) win 8192 <mss 1000>" }
              - at: 2001ms
                expect: { frame: "icmp6 and ip6[40] = 135 and ip6 dst ff02::1:ff00:99", from: b }
              - at: 2002ms
                expect: { frame: "icmp6 and ip6[40] = 136 and ip6 src 2001:db8::99", from: x }
              - at: 2003ms
                expect: { from: b, tcp: "S. 0:0(0) ack 1 win 65535 <mss 1440>" }
              - at: 2010ms
                inject: { from: x, tcp: "P. 1:4(3) ack 1 win 8192", data: GET }
              - at: 2011ms
                expect: { tcp-receive: s, data: GET }
              - at: 2011ms..+200ms
                expect: { from: b, tcp: ". 1:1(0) ack 4" }
              - expect: { neighbor-cache: b, address: x/ip6, state: reachable, mac: 02:00:00:00:00:99 }
            """);

        result.Passed.Should().BeTrue(result.FailureMessage);
        GoldenTrace.Lines(result.Recording).Should().Contain(l => l.Contains("x      IP6 2001:db8::99.5555 > 2001:db8::b.80: P. 1:4(3) ack 1 win 8192"));
    }

    [Test]
    public void A_segment_from_the_wrong_family_fails_the_expectation_with_the_ends_it_was_on()
    {
        // b's SYN-ACK goes to x over IPv6; an expectation on the IPv4 connection does not take it.
        var result = Run("ip6-wrong-family", "connection: [x:5555, b:80]\n", """
              - tcp-listen: b:80
              - at: 2s
                inject: { from: x, tcp: "S 0:0(0) win 8192", connection: [x/ip6:5555, b/ip6:80] }
              - at: 2003ms
                expect: { from: b, tcp: "S. 0:0(0) ack 1 <...>" }
            """);

        result.Passed.Should().BeFalse();
        result.FailureMessage.Should().Contain("not on connection x:5555 <-> b:80");
    }

    [Test]
    public void Ipv6_expectations_report_what_the_host_holds()
    {
        var result = Run("ip6-state", "", """
              - at: 500ms
                expect: { ip6-address: b, address: 2001:db8::b, state: preferred }
              - at: 500ms
                expect: { neighbor-cache: b, address: x/ip6, state: stale }
            """);

        result.Passed.Should().BeFalse();
        result.FailureMessage.Should().Contain("2001:db8::b is tentative, not preferred")
            .And.Contain("b has no entry for 2001:db8::99; cache: empty");
    }
}
