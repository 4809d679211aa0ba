using Netstack.Harness.Linux;
using Netstack.Tests.Support;

namespace Netstack.Tests.Tap;

/// <summary>The third-party stacks the external-host tests run, built or found once per test run.</summary>
public static class ExternalStackBinaries
{
    private static readonly Lazy<(string? Path, string Failure)> LwipBuild = new(() =>
    {
        var r = CommandRunner.Run("bash", [Path.Combine(RepositoryPaths.Root, "scripts", "build-lwip-host.sh")], TimeSpan.FromMinutes(5));
        return r.ExitCode == 0 ? (r.Output.Trim().Split('\n')[^1], "") : (null, r.ToString());
    });

    /// <summary>tools/lwip-host built against Debian's liblwip-dev (scripts/build-lwip-host.sh installs it as root).</summary>
    public static string LwipHost()
    {
        var (path, failure) = LwipBuild.Value;
        if (path is null) NUnit.Framework.Assert.Fail($"scripts/build-lwip-host.sh failed: {failure}");
        return path!;
    }

    public static string SlirpHost()
    {
        RequiredTools.Require("slirp4netns", "socat", "unshare");
        return Path.Combine(RepositoryPaths.Root, "scripts", "slirp-host.sh");
    }

    /// <summary>A path as one word of a shell command.</summary>
    public static string Quoted(string path) => "'" + path.Replace("'", "'\\''") + "'";
}
