using Netstack.Wire;

namespace Netstack.Harness.Steps;

/// <summary>The four-tuple a scenario's <c>tcp:</c> lines in segment notation are about: <c>connection: [x:5555,
/// b:80]</c> (scenario-wide, or on one step). Each end is a host (by name) with a port; which end sends is the
/// step's <c>from:</c>.</summary>
public sealed record TcpConnectionSpec(string HostA, Ipv4Address AddressA, ushort PortA, string HostB, Ipv4Address AddressB, ushort PortB)
{
    /// <summary>The sending and receiving ends when <paramref name="host"/> sends; null when it is neither end.</summary>
    public ((Ipv4Address Address, ushort Port) From, (Ipv4Address Address, ushort Port) To)? Sent(string host) =>
        host == HostA ? ((AddressA, PortA), (AddressB, PortB))
        : host == HostB ? ((AddressB, PortB), (AddressA, PortA))
        : null;

    public override string ToString() => $"{HostA}:{PortA} <-> {HostB}:{PortB}";
}
