namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>The ICMP type and code names a script writes (<c>icmp unreachable port_unreachable</c>), with their
/// numbers in ICMPv4 (RFC 792) and, for <c>--ip_version=ipv6</c>, in ICMPv6 (RFC 4443), as packetdrill's
/// icmp_packet.c names them (and nplab/FreeBSD packetdrill's longer IPv4 ones).</summary>
public static class IcmpMessageNames
{
    private static readonly Dictionary<string, (byte Type, Dictionary<string, byte> Codes)> Ipv4 = new()
    {
        ["unreachable"] = (3, new()
        {
            ["net_unreachable"] = 0, ["host_unreachable"] = 1, ["protocol_unreachable"] = 2, ["port_unreachable"] = 3,
            ["frag_needed"] = 4, ["source_route_failed"] = 5, ["net_unknown"] = 6, ["host_unknown"] = 7,
            ["source_host_isolated"] = 8, ["net_prohibited"] = 9, ["host_prohibited"] = 10, ["net_unreachable_for_tos"] = 11,
            ["host_unreachable_for_tos"] = 12, ["packet_filtered"] = 13, ["precedence_violation"] = 14, ["precedence_cutoff"] = 15,
        }),
        ["time_exceeded"] = (11, new() { ["ttl_exceeded"] = 0, ["ttl_exceeded_in_transit"] = 0, ["fragment_reassembly"] = 1,
            ["fragment_reassembly_time_exceeded"] = 1 }),
        ["source_quench"] = (4, new()),
        ["parameter_problem"] = (12, new() { ["pointer_indicates_error"] = 0 }),
        ["echo_request"] = (8, new()),
        ["echo_reply"] = (0, new()),
    };

    private static readonly Dictionary<string, (byte Type, Dictionary<string, byte> Codes)> Ipv6 = new()
    {
        ["unreachable"] = (1, new()
        {
            ["net_unreachable"] = 0, ["no_route"] = 0, ["admin_prohibited"] = 1, ["not_neighbour"] = 2,
            ["address_unreachable"] = 3, ["port_unreachable"] = 4,
        }),
        ["packet_too_big"] = (2, new()),
        ["time_exceeded"] = (3, new() { ["exceeded_hop_limit"] = 0, ["exceeded_frag_time"] = 1 }),
        ["parameter_problem"] = (4, new() { ["header_field"] = 0, ["unknown_next_header"] = 1, ["unknown_option"] = 2 }),
        ["echo_request"] = (128, new()),
        ["echo_reply"] = (129, new()),
    };

    /// <summary>Whether <paramref name="type"/> is a message the runner builds and compares in that family.</summary>
    public static bool Knows(string type, bool ipv6) => (ipv6 ? Ipv6 : Ipv4).ContainsKey(type);

    /// <summary>The type number and the family's code names of <paramref name="type"/>.</summary>
    public static (byte Type, IReadOnlyDictionary<string, byte> Codes) Of(string type, bool ipv6) =>
        (ipv6 ? Ipv6 : Ipv4).TryGetValue(type, out var t) ? (t.Type, t.Codes)
            : throw new SyscallModelException($"ICMP{(ipv6 ? "v6" : "")} type '{type}' is not known");
}
