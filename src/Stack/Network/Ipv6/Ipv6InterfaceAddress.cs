using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Network.Ipv6;

/// <summary>Where an address of ours is in its life (RFC 4862 §2).</summary>
public enum Ipv6AddressState
{
    /// <summary>Duplicate address detection is running: the address is not used and packets to it are dropped.</summary>
    Tentative,
    /// <summary>Detection found no other owner: the address is ours to use.</summary>
    Preferred,
    /// <summary>Another node answered for it: never used (RFC 4862 §5.4.5).</summary>
    Duplicate,
}

/// <summary>How an address of ours came to be.</summary>
public enum Ipv6AddressOrigin
{
    /// <summary>fe80::/64 with the interface identifier from the MAC (RFC 4862 §5.3).</summary>
    LinkLocal,
    /// <summary>Configured by the host program or scenario.</summary>
    Static,
    /// <summary>Formed from a router-advertised prefix (SLAAC, RFC 4862 §5.5.3).</summary>
    Autoconfigured,
}

/// <summary>One IPv6 address of an interface, its state, and the duplicate address detection in progress.</summary>
public sealed class Ipv6InterfaceAddress
{
    internal Ipv6InterfaceAddress(Ipv6Cidr cidr, Ipv6AddressOrigin origin)
    {
        Cidr = cidr;
        Origin = origin;
    }

    /// <summary>The address and its prefix length.</summary>
    public Ipv6Cidr Cidr { get; }
    /// <summary>The address.</summary>
    public Ipv6Address Address => Cidr.Address;
    /// <summary>How the address was configured.</summary>
    public Ipv6AddressOrigin Origin { get; }
    /// <summary>Tentative, preferred or duplicate.</summary>
    public Ipv6AddressState State { get; internal set; }
    /// <summary>When the address stops being valid (autoconfigured addresses; null: forever).</summary>
    public Instant? ValidUntil { get; internal set; }
    /// <summary>When the address stops being preferred for new communication (null: while valid).</summary>
    public Instant? PreferredUntil { get; internal set; }
    /// <summary>Detection probes sent so far.</summary>
    public int DadProbesSent { get; internal set; }
    internal ScheduledTimer? DadTimer;

    /// <summary>Address, prefix and state, e.g. "fe80::ff:fe00:a/64 preferred".</summary>
    public override string ToString() => $"{Cidr} {State.ToString().ToLowerInvariant()}";
}
