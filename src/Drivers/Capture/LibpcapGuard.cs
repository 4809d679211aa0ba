namespace Netstack.Drivers.Capture;

/// <summary>SharpPcap needs the native libpcap even to read or write files. When it is missing the
/// runtime says "wpcap" (the Windows name); this turns that into an instruction a user can act on.</summary>
public static class LibpcapGuard
{
    public const string InstallHint = "libpcap is not installed: install the Debian package libpcap0.8 (apt-get install libpcap0.8)";

    public static T Run<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (IsMissingLibpcap(e))
        {
            throw new LibpcapMissingException(e);
        }
    }

    public static bool IsMissingLibpcap(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is DllNotFoundException || (x is TypeInitializationException && x.InnerException is DllNotFoundException) ||
                x.Message.Contains("wpcap", StringComparison.OrdinalIgnoreCase))
                return true;
        return false;
    }
}

public sealed class LibpcapMissingException(Exception inner) : Exception(LibpcapGuard.InstallHint, inner);
