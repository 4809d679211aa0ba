using Netstack.Harness.Linux;

namespace Netstack.Tests.Tap;

/// <summary>Skips a real-wire test, saying why, when a Linux tool it drives is not installed.</summary>
public static class RequiredTools
{
    /// <summary>Assert.Ignore unless each tool is installed (run-tests.sh installs them all).</summary>
    public static void Require(params string[] tools)
    {
        foreach (var tool in tools)
            if (!CommandRunner.Exists(tool))
                NUnit.Framework.Assert.Ignore($"{tool} is not installed (run-tests.sh installs it)");
    }
}
