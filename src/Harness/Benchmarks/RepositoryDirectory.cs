namespace Netstack.Harness.Benchmarks;

/// <summary>Finds the repository's data directories for the workloads that measure over them.</summary>
internal static class RepositoryDirectory
{
    /// <summary><paramref name="name"/> (e.g. scenarios, captures) in the current directory or the nearest parent
    /// holding Harness.sln, else in the application's directory or its nearest such parent; null outside the
    /// repository.</summary>
    public static string? Find(string name)
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, name);
                if (Directory.Exists(candidate) && File.Exists(Path.Combine(d.FullName, "Harness.sln"))) return candidate;
            }
        return null;
    }
}
