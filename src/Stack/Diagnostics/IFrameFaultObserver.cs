using Netstack.Link;

namespace Netstack.Diagnostics;

/// <summary>Told about a received frame whose processing threw: a defect in the stack, not in the frame (malformed
/// frames are dropped and counted, never thrown). With an observer attached the stack contains the fault, so a
/// hostile peer cannot end the process with one frame; the host program decides what to keep (a log line, the frame
/// in a capture for a test). The stack itself never writes anywhere.</summary>
public interface IFrameFaultObserver
{
    /// <param name="frame">The frame as it arrived; valid only during the call.</param>
    /// <summary>Called on the loop thread after the fault was counted as <see cref="DropReason.FrameHandlerFault"/>;
    /// whatever it throws propagates to the frame's deliverer.</summary>
    /// <param name="iface">The interface that received the frame.</param>
    /// <param name="error">The exception the stack threw while processing it.</param>
    void OnFrameFault(NetworkInterface iface, ReadOnlySpan<byte> frame, Exception error);
}
