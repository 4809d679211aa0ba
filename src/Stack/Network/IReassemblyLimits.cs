using Netstack.Time;

namespace Netstack.Network;

/// <summary>The bounds of one IP family's reassembly, from its options.</summary>
internal interface IReassemblyLimits
{
    /// <summary>How long fragments of an incomplete datagram are kept.</summary>
    Duration ReassemblyTimeout { get; }
    /// <summary>Bytes of reassembly buffers held at once.</summary>
    int ReassemblyMemoryLimit { get; }
    /// <summary>Datagrams being reassembled at once.</summary>
    int MaxReassemblies { get; }
}
