namespace Netstack.Harness.Running;

/// <summary>Finds scenario files: each path is a *.yaml/*.yml scenario or *.pkt packetdrill script, or a directory searched recursively,
/// in a stable (ordinal) order so runs and shards are reproducible.</summary>
public static class ScenarioFiles
{
    public static bool IsScenarioFile(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) ||
        IsPacketdrillScript(path);

    public static bool IsPacketdrillScript(string path) => path.EndsWith(".pkt", StringComparison.OrdinalIgnoreCase);

    /// <summary>Throws <see cref="FileNotFoundException"/> for a path that does not exist.</summary>
    public static List<string> Find(IEnumerable<string> paths)
    {
        var found = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(IsScenarioFile)
                    .OrderBy(f => f, StringComparer.Ordinal);
                found.AddRange(files);
            }
            else if (File.Exists(path))
                found.Add(path);
            else
                throw new FileNotFoundException($"no such file or directory: {path}", path);
        }
        return found.Distinct(StringComparer.Ordinal).ToList();
    }
}
