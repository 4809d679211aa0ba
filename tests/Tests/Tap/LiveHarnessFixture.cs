using Netstack.Harness.Linux;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Tap;

/// <summary>What the live-mode tap fixtures share: a namespace of their own, one long-running <c>harness tap</c> in it
/// and a scratch directory, torn down once after the fixture's tests, whatever state the set-up reached.</summary>
public abstract class LiveHarnessFixture
{
    protected NetworkNamespace? Ns;
    protected HarnessProcess? Live;
    protected string WorkDir = "";

    [OneTimeTearDown]
    public void CleanUp()
    {
        Live?.Stop(Duration.FromSeconds(5));
        Live?.Dispose();
        Ns?.Dispose();
        if (WorkDir.Length > 0 && Directory.Exists(WorkDir)) Directory.Delete(WorkDir, true);
    }
}
