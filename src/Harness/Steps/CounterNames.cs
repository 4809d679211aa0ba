using System.Reflection;
using System.Text;
using Netstack.Diagnostics;

namespace Netstack.Harness.Steps;

/// <summary>Stack counters by the names scenarios use: <c>arp-requests-sent</c>, <c>icmp-errors-sent</c>,
/// <c>drop.udp-no-listener</c> (one per <see cref="DropReason"/>), <c>drops</c> (all drops).</summary>
public static class CounterNames
{
    private static readonly Dictionary<string, Func<StackCounters, long>> Readers = Build();

    public static IEnumerable<string> All => Readers.Keys;

    public static bool TryGet(string name, out Func<StackCounters, long> reader) => Readers.TryGetValue(name, out reader!);

    private static Dictionary<string, Func<StackCounters, long>> Build()
    {
        var d = new Dictionary<string, Func<StackCounters, long>>(StringComparer.Ordinal);
        foreach (var field in typeof(StackCounters).GetFields(BindingFlags.Public | BindingFlags.Instance))
            if (field.FieldType == typeof(long))
            {
                var f = field;
                d[Kebab(f.Name)] = c => (long)f.GetValue(c)!;
            }
        d["drops"] = c => c.TotalDropped;
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            var r = reason;
            d["drop." + Kebab(r.ToString())] = c => c.Dropped(r);
        }
        return d;
    }

    /// <summary>ArpRequestsSent -> arp-requests-sent; Ipv4Delivered -> ipv4-delivered.</summary>
    public static string Kebab(string pascal)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            if (char.IsUpper(c) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
