using FluentAssertions;
using Netstack.Harness.Trace;
using NUnit.Framework;

namespace Netstack.Tests.Trace;

/// <summary>Which SYN relative TCP numbers count from: a new connection re-bases, a SYN or a blind RST injected
/// into a live one does not (packetdrill never re-bases; a recording of several connections must).</summary>
public class TcpSequenceBasesTests
{
    private static readonly Netstack.Wire.IpAddress A = new Netstack.Wire.Ipv4Address(0xC000020A), B = new Netstack.Wire.Ipv4Address(0xC000020B);

    private static TcpView Segment(bool fromA, byte flags, uint seq, uint ack = 0) => fromA
        ? new TcpView(A, 5000, B, 80, seq, ack, flags, 1000, 0)
        : new TcpView(B, 80, A, 5000, seq, ack, flags, 1000, 0);

    private static TcpSequenceBases Established(out uint isnA, out uint isnB)
    {
        (isnA, isnB) = (1000u, 9000u);
        var bases = new TcpSequenceBases();
        bases.Observe(Segment(true, TcpView.Syn, isnA));
        bases.Observe(Segment(false, TcpView.Syn | TcpView.Ack, isnB, isnA + 1));
        bases.Observe(Segment(true, TcpView.Ack, isnA + 1, isnB + 1)).Should().Be(((uint?)isnA, (uint?)isnB));
        return bases;
    }

    [Test]
    public void A_syn_into_a_live_connection_keeps_the_numbering()
    {
        var bases = Established(out var isnA, out var isnB);
        bases.Observe(Segment(true, TcpView.Syn, 7_777_777)).Should().Be(((uint?)isnA, (uint?)isnB));
        bases.Observe(Segment(false, TcpView.Ack, isnB + 1, isnA + 1)).Should().Be(((uint?)isnB, (uint?)isnA));
    }

    [Test]
    public void A_blind_reset_does_not_end_the_connection_an_exact_one_does()
    {
        var bases = Established(out var isnA, out _);
        bases.Observe(Segment(true, TcpView.Rst, isnA + 1000)); // not at RCV.NXT: RFC 5961 ignores it
        bases.Observe(Segment(true, TcpView.Syn, 5)).Own.Should().Be(isnA);
        bases.Observe(Segment(true, TcpView.Rst, isnA + 1));    // exactly what b acknowledged
        bases.Observe(Segment(true, TcpView.Syn, 5)).Should().Be(((uint?)5, (uint?)null), "the next SYN starts a new connection");
    }

    [Test]
    public void After_a_fin_each_way_a_syn_starts_afresh()
    {
        var bases = Established(out var isnA, out var isnB);
        bases.Observe(Segment(true, TcpView.Fin | TcpView.Ack, isnA + 1, isnB + 1));
        bases.Observe(Segment(false, TcpView.Fin | TcpView.Ack, isnB + 1, isnA + 2));
        bases.Observe(Segment(true, TcpView.Syn, 42)).Should().Be(((uint?)42, (uint?)null));
        bases.Observe(Segment(false, TcpView.Syn | TcpView.Ack, 77, 43)).Should().Be(((uint?)77, (uint?)42));
    }
}
