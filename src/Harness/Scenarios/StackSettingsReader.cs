using Netstack.Time;
using YamlDotNet.RepresentationModel;

namespace Netstack.Harness.Scenarios;

/// <summary>Reads a host's <c>stack:</c> mapping, <c>{ arp: { lifetime: 30s, max-requests: 5 }, tcp: { syn-retries: 2 } }</c>,
/// against <see cref="StackSettingsTable"/>: unknown sections and keys and bad values are located errors, all of
/// them at once.</summary>
internal static class StackSettingsReader
{
    public static StackSettings Read(YamlMapping host, HostSpec spec)
    {
        var node = host.Get("stack")!;
        if (spec.Scripted)
            throw host.ErrorAt(host.KeyNode("stack"), $"host '{spec.Name}' is scripted (it has no stack), so 'stack' means nothing for it");
        if (spec.PlayedBy != HostPlayer.Stack)
            throw host.ErrorAt(host.KeyNode("stack"), $"host '{spec.Name}' is played by {spec.PlayerTitle}, which decides its own settings: remove 'stack'");
        var m = new YamlMapping(host.At(node).File, node, $"'stack' of host '{spec.Name}'");
        var errors = new LoadErrors();
        errors.Try(() => m.AllowOnly(StackSettingsTable.Sections.Select(s => s.Key).ToArray()));
        var values = new List<(StackSettingsTable.Setting, object, SourceLocation)>();
        foreach (var key in m.Keys)
        {
            if (StackSettingsTable.Find(key) is not { } section) continue;
            var sm = errors.Try(() => new YamlMapping(m.At(node).File, m.Get(key)!, $"'stack: {key}' of host '{spec.Name}'"), null);
            if (sm is null) continue;
            errors.Try(() => sm.AllowOnly(section.Settings.Select(s => s.Key).ToArray()));
            foreach (var settingKey in sm.Keys)
            {
                if (section.Settings.FirstOrDefault(s => s.Key == settingKey) is not { } setting) continue;
                errors.Try(() => values.Add((setting, ReadValue(sm, setting), sm.At(sm.Get(settingKey)!))));
            }
        }
        errors.ThrowIfAny();
        return new StackSettings(values);
    }

    private static object ReadValue(YamlMapping m, StackSettingsTable.Setting s)
    {
        var type = s.ValueType;
        if (type == typeof(bool)) return m.Boolean(s.Key)!.Value;
        if (s.IsTime)
        {
            var duration = m.Duration(s.Key)!.Value;
            if (duration <= Duration.Zero) throw m.ErrorAt(m.Get(s.Key)!, $"'{s.Key}' must be longer than 0");
            return type == typeof(TimeSpan) ? duration.ToTimeSpan() : duration;
        }
        if (type.IsEnum)
        {
            var text = m.Scalar(m.Get(s.Key)!, s.Key);
            var words = Enum.GetValues(type).Cast<object>().ToDictionary(StackSettingsTable.EnumWord);
            return words.TryGetValue(text, out var value)
                ? value
                : throw m.ErrorAt(m.Get(s.Key)!, YamlMapping.UnknownMessage($"value '{text}' for '{s.Key}'", text, words.Keys));
        }
        long max = type == typeof(byte) ? byte.MaxValue : type == typeof(int) ? int.MaxValue : type == typeof(uint) ? uint.MaxValue : long.MaxValue;
        var number = m.Integer(s.Key, s.Minimum, max)!.Value;
        return Convert.ChangeType(number, type, System.Globalization.CultureInfo.InvariantCulture);
    }
}
