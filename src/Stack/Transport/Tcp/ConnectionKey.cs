using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>The four-tuple that names a connection, from this host's point of view; both addresses are of one
/// family.</summary>
public readonly record struct ConnectionKey(IpAddress LocalAddress, ushort LocalPort, IpAddress RemoteAddress, ushort RemotePort)
{
    /// <summary>"local:port-&gt;remote:port" ([address]:port for IPv6), as in logs and traces.</summary>
    public override string ToString() => LocalAddress.IsIpv4
        ? $"{LocalAddress}:{LocalPort}->{RemoteAddress}:{RemotePort}"
        : $"[{LocalAddress}]:{LocalPort}->[{RemoteAddress}]:{RemotePort}";
}
