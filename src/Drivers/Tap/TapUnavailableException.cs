namespace Netstack.Drivers.Tap;

public enum TapFailure
{
    /// <summary>/dev/net/tun does not exist (no tun module, or a container without the device).</summary>
    NoTunDevice,
    /// <summary>Not root and without CAP_NET_ADMIN, or the tap belongs to another user.</summary>
    PermissionDenied,
    /// <summary>Another process already has the tap open.</summary>
    Busy,
    /// <summary>A device of that name exists but is not a TAP device (a TUN, a veth, lo...).</summary>
    NotATap,
    BadName,
    Other,
}

/// <summary>Opening a TAP device failed for a reason the user can act on; the message says what to do.</summary>
public sealed class TapUnavailableException(TapFailure failure, string message) : IOException(message)
{
    public TapFailure Failure { get; } = failure;
}
