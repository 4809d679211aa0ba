namespace Netstack.Tests.Support;

/// <summary>Finds files of the repository from a test run (the test binary lives under tests/Tests/bin/...).</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Harness.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"Harness.sln not found above {AppContext.BaseDirectory}");
    });

    public static string Root => RootPath.Value;

    public static string Scenarios => Path.Combine(Root, "scenarios");

    public static string TestsFolder(params string[] parts) => Path.Combine([Root, "tests", "Tests", .. parts]);

    /// <summary>A fresh, empty directory for one test's outputs under the test run's work directory.</summary>
    public static string FreshOutputDirectory(string name)
    {
        var dir = Path.Combine(NUnit.Framework.TestContext.CurrentContext.WorkDirectory, "test-out", name);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
