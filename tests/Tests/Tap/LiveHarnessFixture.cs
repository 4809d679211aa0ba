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

    /// <summary>Polls <paramref name="condition"/> every 200 ms until it holds or <paramref name="limit"/> has
    /// passed (then it is asked once more): for what the kernel or the live harness does in its own time.</summary>
    protected static bool WaitUntil(Func<bool> condition, Duration limit)
    {
        var deadline = DateTime.UtcNow + limit.ToTimeSpan();
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return true;
            Thread.Sleep(200);
        }
        return condition();
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        Live?.Stop(Duration.FromSeconds(5));
        Live?.Dispose();
        Ns?.Dispose();
        if (WorkDir.Length > 0 && Directory.Exists(WorkDir)) Directory.Delete(WorkDir, true);
    }
}
