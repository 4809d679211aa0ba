using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>The four-tuple that names a connection, from this host's point of view.</summary>
public readonly record struct ConnectionKey(Ipv4Address LocalAddress, ushort LocalPort, Ipv4Address RemoteAddress, ushort RemotePort)
{
    /// <summary>"local:port-&gt;remote:port", as in logs and traces.</summary>
    public override string ToString() => $"{LocalAddress}:{LocalPort}->{RemoteAddress}:{RemotePort}";
}
