using Netstack.Wire;

namespace Netstack.Harness.Steps;

/// <summary>The four-tuple a scenario's <c>tcp:</c> lines in segment notation are about: <c>connection: [x:5555,
/// b:80]</c> (scenario-wide, or on one step). Each end is a host (by name) with a port; which end sends is the
/// step's <c>from:</c>.</summary>
/// <remarks>Ends written <c>host/ip6:port</c> make it an IPv6 connection between the hosts' <c>ip6</c> addresses.</remarks>
public sealed record TcpConnectionSpec(string HostA, IpAddress AddressA, ushort PortA, string HostB, IpAddress AddressB, ushort PortB)
{
    /// <summary>The sending and receiving ends when <paramref name="host"/> sends; null when it is neither end.</summary>
    public ((IpAddress Address, ushort Port) From, (IpAddress Address, ushort Port) To)? Sent(string host) =>
        host == HostA ? ((AddressA, PortA), (AddressB, PortB))
        : host == HostB ? ((AddressB, PortB), (AddressA, PortA))
        : null;

    public override string ToString() => $"{HostA}:{PortA} <-> {HostB}:{PortB}";
}
