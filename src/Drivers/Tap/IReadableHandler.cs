namespace Netstack.Drivers.Tap;

/// <summary>Something owning a file descriptor the <see cref="RealTimeEventLoop"/> watches: called on
/// the loop thread whenever the descriptor has input.</summary>
public interface IReadableHandler
{
    void OnReadable();
}
