namespace Netstack.Wire;

/// <summary>How a SYN's options are laid out (the option values are the same).</summary>
public enum TcpOptionLayout
{
    /// <summary>MSS, SACK-permitted, timestamps, NOP, window scale; NOP-NOP padding (Linux).</summary>
    Linux,
    /// <summary>MSS, NOP, window scale, SACK-permitted, timestamps; NOPs align the timestamps and EOLs pad the end
    /// (FreeBSD).</summary>
    FreeBsd,
}
