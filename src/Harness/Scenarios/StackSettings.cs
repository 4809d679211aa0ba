using System.Reflection;

namespace Netstack.Harness.Scenarios;

/// <summary>A host's <c>stack:</c> settings: values that replace the defaults of its stack's options (after
/// anything else decided them, such as a TCP personality), each with where it was written.</summary>
public sealed class StackSettings
{
    internal StackSettings(IReadOnlyList<(StackSettingsTable.Setting Setting, object Value, SourceLocation Location)> values) => Values = values;

    public static readonly StackSettings None = new([]);

    internal IReadOnlyList<(StackSettingsTable.Setting Setting, object Value, SourceLocation Location)> Values { get; }

    public bool IsEmpty => Values.Count == 0;

    /// <summary>A copy of <paramref name="options"/> with these values set; the records are immutable, so each
    /// section changed is cloned first.</summary>
    public StackOptions ApplyTo(StackOptions options)
    {
        if (IsEmpty) return options;
        var result = Clone(options);
        foreach (var section in Values.GroupBy(v => v.Setting.Section))
        {
            var table = StackSettingsTable.Find(section.Key)!;
            var copy = Clone(table.Holder.GetValue(result)!);
            foreach (var (setting, value, _) in section) setting.Property.SetValue(copy, value);
            table.Holder.SetValue(result, copy);
        }
        return result;
    }

    /// <summary>Records have a public clone method (what <c>with</c> calls).</summary>
    private static T Clone<T>(T record) where T : notnull =>
        (T)record.GetType().GetMethod("<Clone>$", BindingFlags.Public | BindingFlags.Instance)!.Invoke(record, null)!;

    /// <summary>In words, for reports: <c>arp.max-requests=5, tcp.syn-retries=2</c>.</summary>
    public override string ToString() => string.Join(", ", Values.Select(v => $"{v.Setting.Section}.{v.Setting.Key}={v.Value}"));
}
