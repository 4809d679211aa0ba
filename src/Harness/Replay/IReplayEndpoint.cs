using Netstack.Drivers.Loops;

namespace Netstack.Harness.Replay;

/// <summary>The implementation that takes over the replayed endpoint (<see cref="StackReplayEndpoint"/>,
/// <see cref="KernelReplayEndpoint"/>). The session injects the other endpoints' frames, hears every frame this one
/// sends, and runs the loop; the endpoint's applications play what the captured endpoint's applications did.</summary>
public interface IReplayEndpoint : IDisposable
{
    /// <summary>The loop everything of the replay runs on (the injector, the applications, the endpoint's frames).</summary>
    IEventLoop Loop { get; }

    /// <summary>"our stack" or "the Linux kernel": how the report names the endpoint.</summary>
    string Name { get; }

    /// <summary>Sets where the frames the endpoint sends go (called on the loop thread, each frame a fresh array).</summary>
    void OnTransmit(Action<byte[]> transmitted);

    /// <summary>A frame from another endpoint, arriving now (called on the loop thread).</summary>
    void Inject(byte[] frame);

    /// <summary>Fills the endpoint's ARP (IPv4) or neighbour (IPv6) cache: the capture was taken with warm caches.</summary>
    void PrimeNeighbour(Netstack.Wire.IpAddress address, string mac);

    /// <summary>Starts the applications before the loop runs: listeners at once, the rest at their captured times.</summary>
    void StartApplications(List<TcpServerScript> tcp, List<UdpServerScript> udp, List<EchoRequestStep> echoes);

    /// <summary>The applications still have captured steps to play, or writes the endpoint has not taken yet: on a real
    /// wire the endpoint can fall behind the capture's clock (see <see cref="ReplaySession.MaxOverrun"/>). Our stack on
    /// the virtual wire never is.</summary>
    bool Behind { get; }

    /// <summary>Ends the applications after the run (closes their sockets).</summary>
    void StopApplications();

    /// <summary>What went wrong in the applications (a connect that failed, a send refused).</summary>
    IReadOnlyList<string> Problems { get; }

    /// <summary>What the application of a TCP flow ("tcp PEER:PORT :PORT") received, if it had one.</summary>
    byte[]? Delivered(string flow);
}
