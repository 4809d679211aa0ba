using FluentAssertions;
using Netstack.Harness.Linux;
using Netstack.Drivers.Tap;
using Netstack.Wire;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Tap;

/// <summary>An external host leaves nothing behind: not after a run, not when its command fails or never creates
/// its interface, and what a killed run left is removed by the next one.</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class ExternalStackHostLifecycleTests
{
    private static readonly string Ours = $"{ExternalStackHost.NamespacePrefix}{Environment.ProcessId}x";

    [SetUp]
    public void RequireTaps()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
    }

    private static ExternalHostSpec Spec(string command, Duration? startTimeout = null) =>
        new(command, "ext0", new Ipv4Cidr(Ipv4Address.Parse("10.67.0.2"), 24), MacAddress.Parse("02:00:00:67:00:02"), 1500)
        {
            StartTimeout = startTimeout ?? Duration.FromSeconds(10),
        };

    private static List<string> OurNamespaces() =>
        CommandRunner.Run("ip", "netns", "list").Output.Split('\n')
            .Select(l => l.Split(' ')[0]).Where(n => n.StartsWith(Ours, StringComparison.Ordinal)).ToList();

    private static List<int> OurProcesses() =>
        MarkedProcesses.Find(ExternalStackHost.NamespaceVariable, v => v.StartsWith(Ours, StringComparison.Ordinal))
            .Where(pid => !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ")).ToList();

    private static List<string> HostInterfaces() =>
        CommandRunner.Run("ip", "-o", "link", "show").Output.Split('\n')
            .Where(l => l.Contains($": {ExternalStackHost.BridgeName}") || l.Contains($": {ExternalStackHost.OurTapName}") ||
                        l.Contains(": ext0") || l.Contains(": lwip0"))
            .ToList();

    [Test]
    public void Dispose_ends_the_host_and_removes_its_namespace_bridge_and_taps()
    {
        var binary = KnownExternalStacks.LwipBinary();
        using var loop = new RealTimeEventLoop();
        var host = ExternalStackHost.Start(Spec(KnownExternalStacks.Quoted(binary)), loop);
        var ns = host.Namespace;
        host.IsRunning.Should().BeTrue();
        ns.Run("ip", "-o", "link", "show", "master", ExternalStackHost.BridgeName).Output
            .Should().Contain("ext0").And.Contain(ExternalStackHost.OurTapName);
        OurProcesses().Should().NotBeEmpty();

        host.Dispose();

        host.Leftovers().Should().BeEmpty();
        OurNamespaces().Should().BeEmpty();
        OurProcesses().Should().BeEmpty();
        HostInterfaces().Should().BeEmpty();
    }

    [Test]
    public void A_command_that_exits_before_creating_its_interface_is_reported_with_its_output_and_leaves_nothing()
    {
        using var loop = new RealTimeEventLoop();
        var start = () => ExternalStackHost.Start(Spec("echo \"cannot start: $HARNESS_ADDRESS\" >&2; exit 3"), loop);
        start.Should().Throw<InvalidOperationException>()
            .WithMessage("*exited with 3 before creating interface ext0*cannot start: 10.67.0.2/24*");
        OurNamespaces().Should().BeEmpty();
        OurProcesses().Should().BeEmpty();
    }

    [Test]
    public void A_command_that_never_creates_its_interface_times_out_and_is_ended()
    {
        using var loop = new RealTimeEventLoop();
        var start = () => ExternalStackHost.Start(Spec("sleep 60 & sleep 60", Duration.FromMilliseconds(500)), loop);
        start.Should().Throw<TimeoutException>().WithMessage("*did not create interface ext0 within 0.5 s*");
        OurNamespaces().Should().BeEmpty();
        OurProcesses().Should().BeEmpty();
    }

    [Test]
    public void A_bad_spec_is_refused_before_anything_is_made()
    {
        using var loop = new RealTimeEventLoop();
        var start = () => ExternalStackHost.Start(Spec("true") with { Interface = ExternalStackHost.BridgeName }, loop);
        start.Should().Throw<ArgumentException>().WithMessage("*interface name 'extbr' is taken*");
        OurNamespaces().Should().BeEmpty();
    }

    [Test]
    public void What_a_killed_run_left_is_removed_by_the_next_start()
    {
        // A run that died: its process id is gone, its namespace and a marked process of its host are still there.
        var dead = CommandRunner.Run("sh", "-c", "echo $$").Output.Trim();
        var stale = $"{ExternalStackHost.NamespacePrefix}{dead}x1";
        CommandRunner.Run("ip", "netns", "add", stale).ExitCode.Should().Be(0);
        using var orphan = new BackgroundCommand("ip",
            ["netns", "exec", stale, "env", $"{ExternalStackHost.NamespaceVariable}={stale}", "sleep", "300"]);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (MarkedProcesses.Running(ExternalStackHost.NamespaceVariable, stale).Count == 0 && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
        MarkedProcesses.Running(ExternalStackHost.NamespaceVariable, stale).Should().NotBeEmpty();

        using var loop = new RealTimeEventLoop();
        using (ExternalStackHost.Start(Spec(KnownExternalStacks.Quoted(KnownExternalStacks.LwipBinary())), loop)) { }

        MarkedProcesses.Running(ExternalStackHost.NamespaceVariable, stale).Should().BeEmpty();
        CommandRunner.Run("ip", "netns", "list").Output.Should().NotContain(stale);
    }
}
