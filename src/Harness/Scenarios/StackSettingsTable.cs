using System.Reflection;
using System.Text;
using Netstack.Link;
using Netstack.Network;
using Netstack.Transport.Tcp;

namespace Netstack.Harness.Scenarios;

/// <summary>The stack settings a host's <c>stack:</c> mapping may set: one section per options record of
/// <see cref="StackOptions"/> (<c>arp</c>, <c>ipv4</c>, <c>icmp</c>, <c>tcp</c>), and in each a key per settable
/// property, named by kebab-casing the property (<c>TcpSettings.SynRetries</c> is <c>tcp: { syn-retries: 3 }</c>).
/// The table is derived from the records, so a setting added to the stack is reachable from YAML at once (the
/// schema and docs/scenarios.md are checked against it). Settings the host already has a key for are left out.</summary>
internal static class StackSettingsTable
{
    /// <summary>One settable value: where it lives and how it is written.</summary>
    public sealed record Setting(string Section, string Key, PropertyInfo Property, long Minimum)
    {
        public Type ValueType => Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;
        public bool IsTime => ValueType == typeof(TimeSpan) || ValueType == typeof(Netstack.Time.Duration);
    }

    /// <summary>A section: its key, the options record it sets and the property of <see cref="StackOptions"/> holding it.</summary>
    public sealed record Section(string Key, Type Options, PropertyInfo Holder, IReadOnlyList<Setting> Settings);

    /// <summary>Properties a host sets with its own keys (<c>ttl</c>, <c>forwarding</c>, <c>gratuitous-arp</c>).</summary>
    private static readonly HashSet<string> SetByHostKeys =
        [$"{nameof(Ipv4Options)}.{nameof(Ipv4Options.DefaultTimeToLive)}", $"{nameof(Ipv4Options)}.{nameof(Ipv4Options.Forwarding)}",
         $"{nameof(ArpOptions)}.{nameof(ArpOptions.SendGratuitousOnStart)}"];

    /// <summary>Counts that must be at least 1 for the stack to work at all (a zero buffer, no ARP request).</summary>
    private static readonly HashSet<string> AtLeastOne =
        [nameof(ArpOptions.MaxRequests), nameof(ArpOptions.MaxEntries), nameof(TcpSettings.SendBufferSize),
         nameof(TcpSettings.ReceiveBufferSize), nameof(TcpSettings.DefaultBacklog), nameof(Ipv4Options.MaxReassemblies)];

    public static readonly IReadOnlyList<Section> Sections =
    [
        Make("arp", typeof(ArpOptions), nameof(StackOptions.Arp)),
        Make("ipv4", typeof(Ipv4Options), nameof(StackOptions.Ipv4)),
        Make("icmp", typeof(IcmpOptions), nameof(StackOptions.Icmp)),
        Make("tcp", typeof(TcpSettings), nameof(StackOptions.Tcp)),
    ];

    public static Section? Find(string key) => Sections.FirstOrDefault(s => s.Key == key);

    private static Section Make(string key, Type options, string holder)
    {
        var settings = options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && IsSupported(p.PropertyType) && !SetByHostKeys.Contains($"{options.Name}.{p.Name}"))
            .Select(p => new Setting(key, KebabCase(p.Name), p, AtLeastOne.Contains(p.Name) ? 1 : 0))
            .ToList();
        return new Section(key, options, typeof(StackOptions).GetProperty(holder)!, settings);
    }

    private static bool IsSupported(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(int) || t == typeof(long) || t == typeof(uint) || t == typeof(byte) || t == typeof(bool) ||
               t == typeof(TimeSpan) || t == typeof(Netstack.Time.Duration) || t.IsEnum;
    }

    /// <summary>SynAckRetries → syn-ack-retries; InitialRto → initial-rto.</summary>
    public static string KebabCase(string name)
    {
        var text = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]))))
                text.Append('-');
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }

    /// <summary>An enum value as YAML writes it: NewReno → new-reno.</summary>
    public static string EnumWord(object value) => KebabCase(value.ToString()!);
}
