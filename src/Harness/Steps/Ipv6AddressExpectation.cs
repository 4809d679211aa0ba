using Netstack.Harness.Hosts;
using Netstack.Harness.Running;
using Netstack.Network.Ipv6;

namespace Netstack.Harness.Steps;

/// <summary><c>expect: { ip6-address: b, address: 2001:db8:1::ff:fe00:b, state: preferred }</c>: an IPv6 address of
/// the host, on any interface, in a state of duplicate address detection (RFC 4862 §5.4): <c>tentative</c> (probing),
/// <c>preferred</c> (in use), <c>duplicate</c> (another node has it), or <c>none</c> (the host never had it);
/// <c>origin: slaac</c>, <c>static</c> or <c>link-local</c> when given. On the kernel: <c>ip -6 addr</c>'s
/// <c>tentative</c>, no flag, <c>dadfailed</c>; <c>dynamic</c> for slaac, scope link for link-local.</summary>
public sealed class Ipv6AddressExpectation : Ipv6StateExpectation
{
    public Ipv6AddressState? State { get; init; }
    public Ipv6AddressOrigin? Origin { get; init; }

    public override string? Check(ScenarioRun run)
    {
        var addresses = run.Host(Host).Ipv6Addresses();
        var found = addresses.FirstOrDefault(a => a.Address == Address);
        if (Absent) return found is null ? null : $"{Host} has {found}; addresses: {Dump(addresses)}";
        if (found is null) return $"{Host} has no address {Address}; addresses: {Dump(addresses)}";
        if (State is { } state && found.State != Name(state)) return $"{Address} is {found.State}, not {Name(state)}";
        if (Origin is { } origin && found.Origin != OriginName(origin)) return $"{Address} is {found.Origin}, not {OriginName(origin)}";
        return null;
    }

    private static string Dump(IReadOnlyList<Ipv6AddressView> addresses) =>
        addresses.Count == 0 ? "none (IPv6 is off)" : string.Join(", ", addresses);

    public static string Name(Ipv6AddressState state) => state.ToString().ToLowerInvariant();

    public static string OriginName(Ipv6AddressOrigin origin) => origin switch
    {
        Ipv6AddressOrigin.Autoconfigured => "slaac",
        Ipv6AddressOrigin.LinkLocal => "link-local",
        _ => "static",
    };

    public override string Describe() =>
        $"ip6 address {Address} of {Host} " + (Absent ? "absent" : State is { } s ? Name(s) : "present") +
        (Origin is { } o ? $" ({OriginName(o)})" : "");
}
