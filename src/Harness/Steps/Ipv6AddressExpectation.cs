using Netstack.Harness.Running;
using Netstack.Network.Ipv6;
using Netstack.Wire;

namespace Netstack.Harness.Steps;

/// <summary><c>expect: { ip6-address: b, address: 2001:db8:1::ff:fe00:b, state: preferred }</c>: an IPv6 address of
/// the host, on any interface, in a state of duplicate address detection (RFC 4862 §5.4): <c>tentative</c> (probing),
/// <c>preferred</c> (in use), <c>duplicate</c> (another node has it), or <c>none</c> (the host never had it);
/// <c>origin: slaac</c> or <c>static</c> when given.</summary>
public sealed class Ipv6AddressExpectation : Ipv6StateExpectation
{
    public Ipv6AddressState? State { get; init; }
    public Ipv6AddressOrigin? Origin { get; init; }

    public override string? Check(ScenarioRun run)
    {
        var stack = run.Host(Host).Stack;
        Ipv6InterfaceAddress? found = null;
        foreach (var i in Ipv6Interfaces(stack))
            found ??= i.Find(Address);
        if (Absent) return found is null ? null : $"{Host} has {found}; addresses: {Dump(stack)}";
        if (found is null) return $"{Host} has no address {Address}; addresses: {Dump(stack)}";
        if (State is { } state && found.State != state) return $"{Address} is {Name(found.State)}, not {Name(state)}";
        if (Origin is { } origin && found.Origin != origin) return $"{Address} is {OriginName(found.Origin)}, not {OriginName(origin)}";
        return null;
    }

    private static string Dump(NetworkStack stack)
    {
        var all = Ipv6Interfaces(stack).SelectMany(i => i.Addresses).Select(a => a.ToString()).ToList();
        return all.Count == 0 ? "none (IPv6 is off)" : string.Join(", ", all);
    }

    public static string Name(Ipv6AddressState state) => state.ToString().ToLowerInvariant();

    public static string OriginName(Ipv6AddressOrigin origin) => origin == Ipv6AddressOrigin.Autoconfigured ? "slaac" : "static";

    public override string Describe() =>
        $"ip6 address {Address} of {Host} " + (Absent ? "absent" : State is { } s ? Name(s) : "present") +
        (Origin is { } o ? $" ({OriginName(o)})" : "");
}
