using System.Net.Sockets;
using System.Text;
using FluentAssertions;
using Netstack.Harness.Linux;
using NUnit.Framework;

namespace Netstack.Tests.Tap;

/// <summary>The kernel host of a scenario runs CUBIC, the algorithm the linux personality models, whatever the
/// machine's default is (bbr here): a namespace inherits that default and may not change it to a restricted
/// algorithm, so the harness sets it per socket.</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class KernelCongestionControlTests
{
    [Test]
    public void A_scenario_tcp_socket_in_a_fresh_namespace_runs_cubic()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
        if (Environment.GetEnvironmentVariable("NETSTACK_KERNEL_CC") is { Length: > 0 } cc)
            Assert.Ignore($"NETSTACK_KERNEL_CC={cc} picks another algorithm");
        using var ns = NetworkNamespace.Create("nscc");
        using var socket = ns.RunInside(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));

        LinuxPeer.PinCongestionControl(socket);

        var name = new byte[16];
        int length = socket.GetRawSocketOption((int)SocketOptionLevel.Tcp, 13 /* TCP_CONGESTION */, name);
        Encoding.ASCII.GetString(name, 0, length).TrimEnd('\0').Should().Be("cubic");
    }
}
