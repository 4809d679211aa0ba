namespace Netstack.Harness.Packetdrill;

/// <summary>The names google/packetdrill's run_all.py defines with <c>-D NAME=VALUE</c> for every script of
/// gtests/net/tcp, with the values it gives them for IPv4 (the Fast Open cookie the kernel derives from the key
/// common/defaults.sh sets, for the addresses run_all uses; the ICMP code the scripts leave open). A word in a
/// script that is one of these names stands for its value, as if the runner had been given the same -D.</summary>
public static class PacketdrillDefines
{
    private static readonly Dictionary<string, string> Ipv4 = new(StringComparer.Ordinal)
    {
        ["TFO_COOKIE"] = "3021b9d889017eeb",
        ["CODE"] = "host_unreachable",
    };

    /// <summary>The value of <paramref name="word"/> when it is a defined name, else the word itself.</summary>
    public static string Resolve(string word) => Ipv4.TryGetValue(word, out var value) ? value : word;
}
