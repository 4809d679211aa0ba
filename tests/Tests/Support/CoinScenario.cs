namespace Netstack.Tests.Support;

/// <summary>A scenario whose verdict depends on the seed: the one echo request is dropped with probability 1/2, from
/// the generator the run's seed drives, so some seeds fail and others pass. For tests of seed sweeps.</summary>
public static class CoinScenario
{
    public const string Yaml = """
        name: coin
        wire: { latency: 1ms }
        hosts:
          a: { ip: 192.0.2.10/24 }
          b: { ip: 192.0.2.11/24 }
        faults:
          - drop: "icmp[icmptype] = icmp-echo"
            probability: 0.5
        steps:
          - ping: { from: a, to: b }
          - expect: { ping: a, replies: 1 }
        """;

    /// <summary>Writes the scenario as <c>coin.yaml</c> in <paramref name="directory"/> and returns its path.</summary>
    public static string WriteTo(string directory)
    {
        var file = Path.Combine(directory, "coin.yaml");
        File.WriteAllText(file, Yaml);
        return file;
    }
}
